package dev.meshpilot.interop;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.internal.GrpcUtil;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.xds.CsdsService;
import io.grpc.xds.XdsChannelCredentials;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * meshpilot's grpc-java xDS interop client: dials an xds:/// target (bootstrap from GRPC_XDS_BOOTSTRAP) and answers
 * JSON commands, one per stdin line, with one JSON line on stdout each (the protocol of
 * e2e/interop/support/client-process.ts): {"op":"rpcs",...} and {"op":"csds"}.
 */
public final class Client {
  public static void main(String[] args) throws Exception {
    String target = null;
    String creds = "insecure";
    for (String arg : args) {
      if (arg.startsWith("--target=")) target = arg.substring("--target=".length());
      if (arg.startsWith("--creds=")) creds = arg.substring("--creds=".length());
    }
    ChannelCredentials transport = InsecureChannelCredentials.create();
    if (creds.equals("xds")) transport = XdsChannelCredentials.create(InsecureChannelCredentials.create());
    ManagedChannel channel = Grpc.newChannelBuilder(target, transport).build();
    // CSDS is served by grpc-xds's CsdsService: ask it through an in-process server, as a CSDS client would.
    String csdsName = InProcessServerBuilder.generateName();
    Server csdsServer =
        InProcessServerBuilder.forName(csdsName).directExecutor().addService(CsdsService.newInstance()).build().start();
    ManagedChannel csdsChannel = InProcessChannelBuilder.forName(csdsName).directExecutor().build();

    JsonObject hello = new JsonObject();
    hello.addProperty("version", "grpc-java " + GrpcUtil.IMPLEMENTATION_VERSION);
    System.out.println(Greeter.GSON.toJson(hello));
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      JsonObject out;
      try {
        JsonObject cmd = Greeter.GSON.fromJson(line, JsonObject.class);
        String op = cmd.get("op").getAsString();
        if (op.equals("rpcs")) out = rpcs(channel, cmd);
        else if (op.equals("csds")) out = csds(csdsChannel);
        else {
          out = new JsonObject();
          out.addProperty("error", "unknown op " + op);
        }
      } catch (RuntimeException e) {
        out = new JsonObject();
        out.addProperty("error", String.valueOf(e));
      }
      System.out.println(Greeter.GSON.toJson(out));
      System.out.flush();
    }
    channel.shutdownNow();
    csdsChannel.shutdownNow();
    csdsServer.shutdownNow();
  }

  private static JsonObject rpcs(ManagedChannel channel, JsonObject cmd) throws InterruptedException {
    int count = cmd.get("count").getAsInt();
    long intervalMs = cmd.has("intervalMs") ? cmd.get("intervalMs").getAsLong() : 0;
    long deadlineMs = cmd.has("deadlineMs") ? cmd.get("deadlineMs").getAsLong() : 5000;
    Metadata headers = new Metadata();
    if (cmd.has("metadata")) {
      for (Map.Entry<String, com.google.gson.JsonElement> e : cmd.getAsJsonObject("metadata").entrySet()) {
        headers.put(Metadata.Key.of(e.getKey(), Metadata.ASCII_STRING_MARSHALLER), e.getValue().getAsString());
      }
    }
    io.grpc.Channel intercepted =
        io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    JsonObject byPeer = new JsonObject();
    JsonObject byCode = new JsonObject();
    JsonArray errors = new JsonArray();
    int failures = 0;
    for (int i = 0; i < count; i++) {
      try {
        byte[] reply =
            ClientCalls.blockingUnaryCall(
                intercepted,
                Greeter.SAY_HELLO,
                CallOptions.DEFAULT.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS),
                Greeter.request("rpc-" + i));
        String server = Greeter.server(reply);
        byPeer.addProperty(server, byPeer.has(server) ? byPeer.get(server).getAsInt() + 1 : 1);
      } catch (StatusRuntimeException e) {
        failures++;
        String code = String.valueOf(e.getStatus().getCode().value());
        byCode.addProperty(code, byCode.has(code) ? byCode.get(code).getAsInt() + 1 : 1);
        if (errors.size() < 5) errors.add(e.getStatus().toString());
      }
      if (intervalMs > 0) Thread.sleep(intervalMs);
    }
    JsonObject out = new JsonObject();
    out.add("byPeer", byPeer);
    out.add("byCode", byCode);
    out.addProperty("failures", failures);
    out.add("errors", errors);
    return out;
  }

  private static JsonObject csds(ManagedChannel csdsChannel) {
    byte[] response =
        ClientCalls.blockingUnaryCall(
            csdsChannel,
            Greeter.unary("envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus"),
            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
            new byte[0]);
    JsonObject out = new JsonObject();
    out.addProperty("csds", Base64.getEncoder().encodeToString(response));
    return out;
  }

  private Client() {}
}
