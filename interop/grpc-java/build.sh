#!/usr/bin/env bash
# grpc-java xDS interop client and xDS-enabled server (io.grpc:grpc-xds from Maven Central), built once per machine
# into the harness cache: $HARNESS_OUT/bin/{client,server}. Maven's local repository keeps the jars, so a rebuild
# works offline.
source "$(dirname "$0")/../lib.sh"
harness_begin grpc-java "$(java -version 2>&1 | head -1)"
if harness_is_built; then harness_done; exit 0; fi
cd "$(dirname "$0")"
mvn -B -q -DbuildDir="$HARNESS_OUT/build" compile dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$HARNESS_OUT/lib"
mkdir -p "$HARNESS_OUT/bin"
for main in client:Client server:Server; do
  cat > "$HARNESS_OUT/bin/${main%%:*}" <<SCRIPT
#!/usr/bin/env bash
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -cp "$HARNESS_OUT/build/classes:$HARNESS_OUT/lib/*" dev.meshpilot.interop.${main##*:} "\$@"
SCRIPT
  chmod +x "$HARNESS_OUT/bin/${main%%:*}"
done
harness_done
