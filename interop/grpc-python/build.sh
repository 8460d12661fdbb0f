#!/usr/bin/env bash
# The gRPC C-core xDS client through Python's grpcio (PyPI), in a venv built once per machine into the harness cache:
# $HARNESS_OUT/bin/client runs client.py with it.
source "$(dirname "$0")/../lib.sh"
harness_begin grpc-python "$(python3 --version 2>&1)"
if harness_is_built; then harness_done; exit 0; fi
cd "$(dirname "$0")"
python3 -m venv "$HARNESS_OUT/venv"
"$HARNESS_OUT/venv/bin/pip" install --quiet --no-input -r requirements.txt
mkdir -p "$HARNESS_OUT/bin"
cp client.py "$HARNESS_OUT/client.py"
cat > "$HARNESS_OUT/bin/client" <<SCRIPT
#!/usr/bin/env bash
exec "$HARNESS_OUT/venv/bin/python" -u "$HARNESS_OUT/client.py" "\$@"
SCRIPT
chmod +x "$HARNESS_OUT/bin/client"
harness_done
