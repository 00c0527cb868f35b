"""Memory scenarios for Benchmarks/e2e/memory.sh, against a running gateway on loopback.

  memory.py idle PID PORT COUNT            COUNT idle keep-alive connections (one request each)
  memory.py upstream PORT SIZE             an upstream that answers every request with SIZE bytes
  memory.py download PID URL_PORT PATH     read the gateway's answer slowly, report peak RSS growth
  memory.py upload PID PORT PATH SIZE      send SIZE bytes of body to a slow upstream (see sink)
  memory.py sink PORT                      an upstream that reads request bodies slowly

RSS is read from /proc/PID/status (VmRSS); growth is against the value before the scenario.
"""
import os, socket, sys, threading, time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sample_peak(pid, stop, peak):
    while not stop.is_set():
        peak[0] = max(peak[0], rss_kib(pid))
        time.sleep(0.05)


def idle(pid, port, count):
    before = rss_kib(pid)
    connections = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /hello/ HTTP/1.1\r\nHost: bench\r\n\r\n")
        connections.append(s)
    for s in connections:  # every answer read: each connection is idle and kept alive
        data = b""
        while b"Hello" not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise SystemExit("a connection closed before its answer")
            data += chunk
    time.sleep(1)
    held = rss_kib(pid)
    for s in connections:
        s.close()
    time.sleep(2)
    after = rss_kib(pid)
    time.sleep(10)  # the gateway looks at its connection count every 5 s and trims after a burst
    later = rss_kib(pid)
    mib = (held - before) / 1024
    print(f"idle connections: {count}; RSS before {before / 1024:.1f} MiB, with them {held / 1024:.1f} MiB "
          f"(+{mib:.1f} MiB, {1024 * mib / count:.2f} KiB each), 2 s after closing {after / 1024:.1f} MiB, "
          f"12 s after {later / 1024:.1f} MiB (+{(later - before) / 1024:.1f} MiB over the start)")


def upstream(port, size):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    block = b"x" * (1 << 20)

    def serve(conn):
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            conn.sendall(f"HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n".encode())
            sent = 0
            while sent < size:
                piece = block[: min(len(block), size - sent)]
                conn.sendall(piece)
                sent += len(piece)

    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def sink(port):
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)

    def serve(conn):
        with conn:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
            got = len(body)
            while got < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                got += len(chunk)
                time.sleep(0.0004)  # a slow reader: ~150 MB/s at most
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")

    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def download(pid, port, path):
    before = rss_kib(pid)
    stop, peak = threading.Event(), [before]
    sampler = threading.Thread(target=sample_peak, args=(pid, stop, peak))
    sampler.start()
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    got, started = len(body), time.time()
    while got < length:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit(f"closed after {got} of {length} bytes")
        got += len(chunk)
        time.sleep(0.0004)  # a slow client
    stop.set()
    sampler.join()
    print(f"download {length >> 20} MiB through the gateway in {time.time() - started:.1f} s, slow client: "
          f"RSS before {before / 1024:.1f} MiB, peak +{(peak[0] - before) / 1024:.1f} MiB")


def upload(pid, port, path, size):
    before = rss_kib(pid)
    stop, peak = threading.Event(), [before]
    sampler = threading.Thread(target=sample_peak, args=(pid, stop, peak))
    sampler.start()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"POST {path} HTTP/1.1\r\nHost: bench\r\ncontent-length: {size}\r\n\r\n".encode())
    block, sent, started = b"y" * (1 << 20), 0, time.time()
    while sent < size:
        piece = block[: min(len(block), size - sent)]
        s.sendall(piece)
        sent += len(piece)
    data = b""
    while b"ok" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    stop.set()
    sampler.join()
    print(f"upload {size >> 20} MiB through the gateway in {time.time() - started:.1f} s, slow upstream: "
          f"RSS before {before / 1024:.1f} MiB, peak +{(peak[0] - before) / 1024:.1f} MiB; answer {data[:12]!r}")


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "idle":
        idle(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif command == "upstream":
        upstream(int(sys.argv[2]), int(sys.argv[3]))
    elif command == "sink":
        sink(int(sys.argv[2]))
    elif command == "download":
        download(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif command == "upload":
        upload(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    else:
        raise SystemExit(__doc__)
