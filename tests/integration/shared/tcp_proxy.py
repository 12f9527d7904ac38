"""A TCP proxy between a service and the real broker, so a test can cut the service's connections.

The shared RabbitMQ serves every test of the run, so it is never stopped: a test points one
container at this proxy and ``reset()``s the proxy's connections (the peer sees ECONNRESET or a
broken pipe, as when a broker dies), or ``refuse()``s new ones for a while (a broker that is down),
then ``accept()``s again (it came back), or ``stall()``s them (a broker that hangs) and ``resume()``s.
Runs on eventlet greenthreads in the test process.
"""
import socket
import struct

import eventlet
from eventlet.green import select


class TcpProxy:
    def __init__(self, upstream_host="127.0.0.1", upstream_port=5672):
        self.upstream = (upstream_host, upstream_port)
        self.listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pairs = set()  # (service side, broker side) of each open connection
        self.refusing = False
        self.stalled = False  # connections stay open, bytes are swallowed: a broker that never answers
        self.accepted = 0
        self._server = eventlet.spawn(self._serve)

    def amqp_uri(self, vhost_uri):
        """*vhost_uri* (``pyamqp://user:pw@127.0.0.1:5672/vhost``) rewritten to go through this proxy."""
        head, _, vhost = vhost_uri.rpartition("/")
        credentials, _, _ = head.rpartition("@")
        return f"{credentials}@127.0.0.1:{self.port}/{vhost}"

    def _serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                _reset(client)
                continue
            try:
                upstream = eventlet.connect(self.upstream)
            except OSError:
                _reset(client)
                continue
            self.accepted += 1
            pair = _Pair(client, upstream)
            self.pairs.add(pair)
            pair.pump = eventlet.spawn(self._pump, pair)

    def _pump(self, pair):
        try:
            while not pair.cut:
                readable, _, _ = select.select(pair.sockets, [], [])
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        pair.cut = True
                        break
                    if not self.stalled:
                        pair.other(source).sendall(data)
        except (OSError, EOFError, ValueError):  # cut under it (reset() closed the sockets), or the peer left
            pass
        self._cut(pair)

    def _cut(self, pair):
        pair.cut = True
        self.pairs.discard(pair)
        for sock in pair.sockets:
            _reset(sock)

    def reset(self):
        """Cut every open connection now, with a TCP reset: when this returns, the service's next write
        on any of them fails (ECONNRESET / EPIPE), as when the broker dies under it."""
        pairs = list(self.pairs)
        # The pumps first: eventlet wants a socket closed only once nothing waits on it (else the
        # descriptor's next owner meets the dead pump's listener). Killing one yields to the hub, so
        # all are stopped before any socket is closed: the resets then land together, with no yield.
        for pair in pairs:
            pair.cut = True
            pair.pump.kill()
        for pair in pairs:
            self._cut(pair)

    def refuse(self):
        """Cut every connection and refuse new ones (they are reset at once), as a broker that is down."""
        self.refusing = True
        self.reset()

    def accept(self):
        self.refusing = False

    def stall(self):
        """Keep every connection open but pass nothing on, either way: a broker that hangs."""
        self.stalled = True

    def resume(self):
        """After a stall: the connections' streams lost bytes, so they are reset; new ones work again."""
        self.reset()
        self.stalled = False

    def close(self):
        self.refuse()
        self.listener.close()
        self._server.kill()


class _Pair:
    def __init__(self, client, upstream):
        self.sockets = [client, upstream]
        self.cut = False
        self.pump = None

    def other(self, sock):
        return self.sockets[1] if sock is self.sockets[0] else self.sockets[0]


def _reset(sock):
    try:
        # SO_LINGER 0: close() sends RST instead of FIN, so the peer gets ECONNRESET / EPIPE.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
