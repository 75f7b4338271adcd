// Answers cron questions with Quartz 2.3's own org.quartz.CronExpression, for the differential
// test in tests/model/quartz_diff_test.cpp. Run in single-file source mode:
//   java -cp /usr/share/java/quartz2.jar tests/quartz/QuartzOracle.java < queries > answers
//
// One query per line, fields separated by tabs; one answer line per query, in order:
//   V                                   -> OK <MAX_YEAR> <tzdb version>
//   P <expression>                      -> OK | ERR <message>
//   N <zone> <a1>,<a2>,... <expression> -> OK <t1> <t2> ... | ERR <message> | HANG
// The expression comes last and runs to the end of the line, tabs and all.
// Instants are Unix seconds; ti is getNextValidTimeAfter(ai), "-" for null. Each answer is
// independent of the others, so one disagreement does not spill into the next.

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.zone.ZoneRulesProvider;
import java.util.Date;
import java.util.TimeZone;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.quartz.CronExpression;

public class QuartzOracle {
  public static void main(String[] args) throws Exception {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    BufferedWriter out =
        new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      out.write(answerWithin(line.split("\t", line.startsWith("N") ? 4 : 2), 1));
      out.write('\n');
    }
    out.flush();
    System.exit(0);  // a worker may still spin in Quartz
  }

  /// Quartz loops forever on some inputs (e.g. "L-30W" in some months); such a query answers
  /// HANG instead of hanging the test.
  @SuppressWarnings({"deprecation", "removal"})
  static String answerWithin(String[] q, int seconds) throws Exception {
    Future<String> answer = worker.submit(() -> answer(q));
    try {
      return answer.get(seconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      try {
        workerThread.stop();  // Quartz's loop never looks at interrupts
      } catch (UnsupportedOperationException gone) {
        // Newer Java: leave the daemon spinning; main() ends the process when done.
      }
      worker = newWorker();
      return "HANG";
    }
  }

  static volatile Thread workerThread;
  static ExecutorService worker = newWorker();

  static ExecutorService newWorker() {
    return Executors.newSingleThreadExecutor(task -> {
      Thread t = new Thread(task, "quartz");
      t.setDaemon(true);
      workerThread = t;
      return t;
    });
  }

  static String answer(String[] q) {
    try {
      switch (q[0]) {
        case "V":
          return "OK\t" + CronExpression.MAX_YEAR + "\t"
              + ZoneRulesProvider.getVersions("UTC").lastKey();
        case "P":
          new CronExpression(q[1]);
          return "OK";
        case "N": {
          CronExpression cron = new CronExpression(q[3]);
          cron.setTimeZone(TimeZone.getTimeZone(q[1]));
          StringBuilder sb = new StringBuilder("OK");
          for (String after : q[2].split(",")) {
            Date next = cron.getNextValidTimeAfter(new Date(Long.parseLong(after) * 1000L));
            sb.append('\t').append(next == null ? "-" : Long.toString(next.getTime() / 1000L));
          }
          return sb.toString();
        }
        default:
          return "ERR\tunknown query " + q[0];
      }
    } catch (Exception e) {
      // Parse errors and Quartz's own runtime failures alike: the message is for humans.
      return "ERR\t" + String.valueOf(e.getMessage()).replace('\t', ' ').replace('\n', ' ');
    }
  }
}
