package dev.meshpilot.interop;

import com.google.gson.JsonObject;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.internal.GrpcUtil;
import io.grpc.xds.XdsServerBuilder;
import io.grpc.xds.XdsServerCredentials;
import java.net.InetSocketAddress;

/**
 * meshpilot's grpc-java xDS-enabled server (XdsServerBuilder): listens on --address=ip:port, asks meshpilot for its
 * inbound Listener (bootstrap from GRPC_XDS_BOOTSTRAP) and serves the greeter as --id. Prints one JSON line per
 * serving-status change: {"mode":"serving"} or {"mode":"not-serving","error":"..."}.
 */
public final class Server {
  public static void main(String[] args) throws Exception {
    String address = null;
    String id = "grpc-java-server";
    String creds = "insecure";
    for (String arg : args) {
      if (arg.startsWith("--address=")) address = arg.substring("--address=".length());
      if (arg.startsWith("--id=")) id = arg.substring("--id=".length());
      if (arg.startsWith("--creds=")) creds = arg.substring("--creds=".length());
    }
    int colon = address.lastIndexOf(':');
    InetSocketAddress socket =
        new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
    ServerCredentials transport = InsecureServerCredentials.create();
    if (creds.equals("xds")) transport = XdsServerCredentials.create(InsecureServerCredentials.create());
    io.grpc.Server server =
        XdsServerBuilder.forAddress(socket, transport)
            .xdsServingStatusListener(
                new XdsServerBuilder.XdsServingStatusListener() {
                  @Override
                  public void onServing() {
                    print("serving", null);
                  }

                  @Override
                  public void onNotServing(Throwable error) {
                    print("not-serving", String.valueOf(error));
                  }
                })
            .addService(Greeter.service(id))
            .build();
    JsonObject hello = new JsonObject();
    hello.addProperty("version", "grpc-java " + GrpcUtil.IMPLEMENTATION_VERSION);
    hello.addProperty("listening", address);
    System.out.println(Greeter.GSON.toJson(hello));
    System.out.flush();
    server.start();
    server.awaitTermination();
  }

  private static synchronized void print(String mode, String error) {
    JsonObject line = new JsonObject();
    line.addProperty("mode", mode);
    if (error != null) line.addProperty("error", error);
    System.out.println(Greeter.GSON.toJson(line));
    System.out.flush();
  }

  private Server() {}
}
