// Answers cron questions with Quartz 2.3's own org.quartz.CronExpression, for the differential
// test in tests/model/quartz_diff_test.cpp. Run in single-file source mode:
//   java -cp /usr/share/java/quartz2.jar tests/quartz/QuartzOracle.java < queries > answers
//
// One query per line, fields separated by tabs; one answer line per query, in order:
//   V                                   -> OK <MAX_YEAR> <tzdb version>
//   P <expression>                      -> OK | ERR <message>
//   N <zone> <expression> <after> <n>   -> OK <t1> ... | ERR <message>
// Instants are Unix seconds. N chains n calls of getNextValidTimeAfter, each from the previous
// answer, as a CronTrigger does; a null answer prints "-" and ends the chain.

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.zone.ZoneRulesProvider;
import java.util.Date;
import java.util.TimeZone;
import org.quartz.CronExpression;

public class QuartzOracle {
  public static void main(String[] args) throws Exception {
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    BufferedWriter out =
        new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      out.write(answer(line.split("\t", -1)));
      out.write('\n');
    }
    out.flush();
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
          CronExpression cron = new CronExpression(q[2]);
          cron.setTimeZone(TimeZone.getTimeZone(q[1]));
          Date at = new Date(Long.parseLong(q[3]) * 1000L);
          int n = Integer.parseInt(q[4]);
          StringBuilder sb = new StringBuilder("OK");
          for (int i = 0; i < n; ++i) {
            at = cron.getNextValidTimeAfter(at);
            if (at == null) {
              sb.append("\t-");
              break;
            }
            sb.append('\t').append(at.getTime() / 1000L);
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
