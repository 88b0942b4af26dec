package dev.diskimage.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP response body as an {@link InputStream} whose every read waits at most an idle timeout
 * for the next bytes. The JDK's own {@code BodySubscribers.ofInputStream()} blocks for ever when
 * the server stops sending in the middle of a body, and {@code HttpRequest.timeout} ends when the
 * headers arrive; this stream turns a stalled, reset or short body into the error the
 * {@link Failure} builds (the service's typed unavailable error). It keeps a few pieces asked for
 * ahead ({@link #PIECES_AHEAD}), so the connection keeps reading while the caller hashes and
 * writes, and asks for the next piece only when one is consumed, so memory stays bounded.
 *
 * <p>Public only so that the catalog's own sub-packages (the image cache) share it; it is not
 * part of the supported API.
 */
public final class IdleTimeoutBody implements HttpResponse.BodySubscriber<InputStream> {

    /** Builds the error a stalled or broken body ends with. */
    @FunctionalInterface
    public interface Failure {
        /**
         * The error to throw from a read.
         *
         * @param reason what went wrong, e.g. {@code no data for PT2S after 1024 bytes}
         * @param cause the transport's error, or null for a timeout
         * @return the error
         */
        RuntimeException failure(String reason, Throwable cause);
    }

    private static final Object END = new Object();
    /** Pieces (lists of the client's 16 KiB buffers) asked for before the caller consumes them. */
    static final int PIECES_AHEAD = 8;

    private final BlockingQueue<Object> pieces = new LinkedBlockingQueue<>();
    private final CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
    private final long idleNanos;
    private final Duration idle;
    private final Failure failure;
    private final Stream stream = new Stream();

    /**
     * A body whose reads wait at most {@code idle} for the next bytes.
     *
     * @param idle the longest wait for the next bytes
     * @param failure builds the error a stalled or broken body ends with
     */
    public IdleTimeoutBody(Duration idle, Failure failure) {
        this.idle = Objects.requireNonNull(idle, "idle");
        this.idleNanos = idle.toNanos();
        this.failure = Objects.requireNonNull(failure, "failure");
    }

    @Override
    public CompletionStage<InputStream> getBody() {
        return CompletableFuture.completedStage(stream);
    }

    @Override
    public void onSubscribe(Flow.Subscription value) {
        if (!subscription.complete(value)) {
            value.cancel();
            return;
        }
        value.request(PIECES_AHEAD);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        pieces.add(item);
    }

    @Override
    public void onError(Throwable error) {
        pieces.add(error);
    }

    @Override
    public void onComplete() {
        pieces.add(END);
    }

    private void cancel() {
        subscription.thenAccept(Flow.Subscription::cancel);
    }

    /** The body's bytes; not thread-safe, like any stream. */
    private final class Stream extends InputStream {
        private Iterator<ByteBuffer> pending;
        private ByteBuffer current;
        private boolean ended;
        private boolean closed;
        private long delivered;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, buffer.length);
            if (closed) {
                throw new IOException("stream closed");
            }
            if (length == 0) {
                return 0;
            }
            int copied = 0;
            while (true) {
                if (current != null && current.hasRemaining()) {
                    int n = Math.min(length - copied, current.remaining());
                    current.get(buffer, offset + copied, n);
                    delivered += n;
                    copied += n;
                    if (copied == length) {
                        return copied;
                    }
                    continue;
                }
                if (pending != null && pending.hasNext()) {
                    current = pending.next();
                    continue;
                }
                if (ended) {
                    return copied > 0 ? copied : -1;
                }
                if (copied > 0 && pieces.peek() == null) {
                    // What has arrived is handed out now; waiting for more is the next read's job.
                    return copied;
                }
                Object piece;
                try {
                    piece = pieces.poll(idleNanos, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    close();
                    throw failure.failure("interrupted while waiting for data after " + delivered + " bytes", e);
                }
                if (piece == null) {
                    close();
                    throw failure.failure("no data for " + idle.toMillis() + " ms after " + delivered
                            + " bytes of the answer (read timeout)", null);
                }
                if (piece == END) {
                    ended = true;
                    continue;
                }
                if (piece instanceof Throwable error) {
                    ended = true;
                    close();
                    throw failure.failure("the answer broke off after " + delivered + " bytes: " + describe(error), error);
                }
                @SuppressWarnings("unchecked")
                List<ByteBuffer> list = (List<ByteBuffer>) piece;
                pending = list.iterator();
                subscription.join().request(1);
            }
        }

        @Override
        public int available() {
            return current == null ? 0 : current.remaining();
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                if (!ended) {
                    cancel();
                }
                pieces.clear();
                pending = null;
                current = null;
            }
        }
    }

    /**
     * The transport error in words for a one-line message: its own message when it has one
     * ("Connection reset"), otherwise what its kind means ("connection refused"); never a class
     * name, which tells an operator nothing.
     *
     * @param error the transport's error
     * @return the reason in words
     */
    public static String describe(Throwable error) {
        String message = error.getMessage();
        if (message != null && !message.isBlank()) {
            return message;
        }
        if (error instanceof java.net.http.HttpConnectTimeoutException) {
            return "connecting timed out";
        }
        if (error instanceof java.net.http.HttpTimeoutException) {
            return "timed out";
        }
        if (error instanceof java.net.ConnectException) {
            return "connection refused";
        }
        if (error instanceof java.io.EOFException) {
            return "the connection closed early";
        }
        if (error.getCause() != null && error.getCause() != error) {
            return describe(error.getCause());
        }
        return "transport failure";
    }
}
