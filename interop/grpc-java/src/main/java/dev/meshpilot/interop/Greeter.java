package dev.meshpilot.interop;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The e2e tests' greeter service (/helloworld.Greeter/SayHello, JSON on the wire, as e2e/support/helloworld.ts),
 * carried as raw bytes.
 */
final class Greeter {
  static final Gson GSON = new Gson();

  static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new java.io.ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            stream.transferTo(out);
            return out.toByteArray();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static final MethodDescriptor<byte[], byte[]> SAY_HELLO = unary("helloworld.Greeter/SayHello");

  static MethodDescriptor<byte[], byte[]> unary(String fullMethodName) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(fullMethodName)
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();
  }

  static byte[] request(String name) {
    JsonObject req = new JsonObject();
    req.addProperty("name", name);
    return GSON.toJson(req).getBytes(StandardCharsets.UTF_8);
  }

  static String server(byte[] reply) {
    return GSON.fromJson(new String(reply, StandardCharsets.UTF_8), JsonObject.class).get("server").getAsString();
  }

  /** The greeter service answering as {@code id}. */
  static ServerServiceDefinition service(String id) {
    return ServerServiceDefinition.builder("helloworld.Greeter")
        .addMethod(
            SAY_HELLO,
            ServerCalls.asyncUnaryCall(
                (byte[] request, io.grpc.stub.StreamObserver<byte[]> responseObserver) -> {
                  JsonObject in = GSON.fromJson(new String(request, StandardCharsets.UTF_8), JsonObject.class);
                  JsonObject out = new JsonObject();
                  out.addProperty("message", "hello " + (in.has("name") ? in.get("name").getAsString() : ""));
                  out.addProperty("server", id);
                  responseObserver.onNext(GSON.toJson(out).getBytes(StandardCharsets.UTF_8));
                  responseObserver.onCompleted();
                }))
        .build();
  }

  private Greeter() {}
}
