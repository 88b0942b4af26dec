package dev.diskimage.core;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The sink one output pipe of a child process drains into: keeps either the first or the last
 * {@code cap} bytes (so a chatty or hostile program cannot fill the heap), counts what it drops,
 * and optionally hands each line to a listener, ending lines at {@code \r} as well as
 * {@code \n} because qemu-img rewrites its progress line with carriage returns.
 */
final class OutputCapture extends OutputStream {
    /** Longest line handed to a listener; the rest of an overlong line is dropped. */
    static final int MAX_LINE = 64 << 10;

    /** Which bytes to keep once the output is longer than the cap. */
    enum Keep { HEAD, TAIL }

    private final Keep keep;
    private final int cap;
    private final Consumer<String> lineListener;
    private final byte[] ring;
    private final ByteArrayOutputStream head;
    private long total;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    OutputCapture(Keep keep, int cap, Consumer<String> lineListener) {
        this.keep = keep;
        this.cap = cap;
        this.lineListener = lineListener;
        this.ring = keep == Keep.TAIL ? new byte[cap] : new byte[0];
        this.head = keep == Keep.HEAD ? new ByteArrayOutputStream(Math.min(cap, 8192)) : null;
    }

    @Override
    public synchronized void write(int b) {
        if (keep == Keep.HEAD) {
            if (total < cap) {
                head.write(b);
            }
        } else if (cap > 0) {
            ring[(int) (total % cap)] = (byte) b;
        }
        total++;
        if (lineListener != null) {
            if (b == '\r' || b == '\n') {
                flushLine();
            } else if (line.size() < MAX_LINE) {
                line.write(b);
            }
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
            write(b[off + i]);
        }
    }

    @Override
    public synchronized void close() {
        flushLine();
    }

    private void flushLine() {
        if (lineListener != null && line.size() > 0) {
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            lineListener.accept(text);
        }
    }

    /** Whether more bytes arrived than were kept. */
    synchronized boolean truncated() {
        return total > cap;
    }

    /** The kept bytes as UTF-8 text (malformed sequences replaced). */
    synchronized String text() {
        if (keep == Keep.HEAD) {
            return head.toString(StandardCharsets.UTF_8);
        }
        if (total <= cap) {
            return new String(ring, 0, (int) total, StandardCharsets.UTF_8);
        }
        int start = (int) (total % cap);
        byte[] ordered = new byte[cap];
        System.arraycopy(ring, start, ordered, 0, cap - start);
        System.arraycopy(ring, 0, ordered, cap - start, start);
        return new String(ordered, StandardCharsets.UTF_8);
    }
}
