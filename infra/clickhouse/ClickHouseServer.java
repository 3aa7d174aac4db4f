import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * Runs the ClickHouse engine that the npm package chdb ships (libchdb.so) as clickhouse-local
 * with its HTTP listener open: a real ClickHouse server for as long as standard input stays open.
 * The engine ends on end of input, so a parent that dies (even by kill -9) takes it along.
 *
 * java -cp jna.jar infra/clickhouse/ClickHouseServer.java LIBCHDB --path=DIR --http_port=P ...
 */
public class ClickHouseServer {
  public interface Chdb extends Library {
    Pointer chdb_query_cmdline(int argc, String[] argv);
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: ClickHouseServer <libchdb.so> <clickhouse-local arguments>");
      System.exit(64);
    }
    Chdb engine = Native.load(args[0], Chdb.class);
    String[] argv = new String[args.length];
    argv[0] = "clickhouse";
    System.arraycopy(args, 1, argv, 1, args.length - 1);
    // ClickHouse checks the stack it runs on: JNA calls on this thread's own, so give it a large one
    Thread server = new Thread(null, () -> engine.chdb_query_cmdline(argv.length, argv), "clickhouse", 64L << 20);
    server.start();
    server.join();
  }
}
