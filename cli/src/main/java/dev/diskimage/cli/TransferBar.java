package dev.diskimage.cli;

import dev.diskimage.conversion.images.TransferProgress;
import dev.diskimage.core.service.ImageMeta;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * A one-line progress bar for downloads and uploads on standard error: bytes so far, rate and
 * time left, redrawn with {@code \r} at most every 200 ms. Only drawn on a terminal; elsewhere
 * it hears progress and draws nothing, so commands wire it the same way in both cases. Closing
 * it ends the bar's line.
 */
final class TransferBar implements TransferProgress, AutoCloseable {
    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final double MIB = 1 << 20;
    private final PrintWriter err;
    private final boolean visible;
    private final long started = System.nanoTime();
    private long drawn = -1;
    private boolean any;

    TransferBar(PrintWriter err) {
        this(err, true);
    }

    private TransferBar(PrintWriter err, boolean visible) {
        this.err = err;
        this.visible = visible;
    }

    /** A bar drawn when standard error is a terminal and the command is not quiet; silent otherwise. */
    static TransferBar forTerminal(boolean quiet, PrintWriter err) {
        return new TransferBar(err, !quiet && ProgressBar.stderrIsTerminal());
    }

    @Override
    public void transferred(ImageMeta meta, long bytes, OptionalLong total) {
        draw(bytes, total);
    }

    /**
     * The bar as an image cache's download listener: {@code TransferBar::downloaded} is a
     * {@link dev.diskimage.catalog.cache.DownloadProgress}.
     */
    void downloaded(String name, long bytes, OptionalLong total) {
        draw(bytes, total);
    }

    private synchronized void draw(long bytes, OptionalLong total) {
        if (!visible) {
            return;
        }
        long now = System.nanoTime();
        boolean done = total.isPresent() && bytes >= total.getAsLong();
        if (drawn >= 0 && now - drawn < REDRAW_NANOS && !done) {
            return;
        }
        drawn = now;
        any = true;
        double seconds = Math.max((now - started) / 1e9, 1e-3);
        double rate = bytes / MIB / seconds;
        if (total.isPresent() && total.getAsLong() > 0) {
            long all = total.getAsLong();
            int percent = (int) Math.min(100, bytes * 100 / all);
            int filled = percent * WIDTH / 100;
            double left = rate > 0 ? (all - bytes) / MIB / rate : 0;
            err.print(String.format(Locale.ROOT, "\r[%s%s] %3d%% %.1f/%.1f MiB %.1f MiB/s ETA %ds ",
                    "#".repeat(filled), " ".repeat(WIDTH - filled), percent, bytes / MIB, all / MIB, rate, Math.round(left)));
        } else {
            err.print(String.format(Locale.ROOT, "\r%.1f MiB %.1f MiB/s ", bytes / MIB, rate));
        }
        err.flush();
    }

    /** Ends the bar's line, if one was drawn. */
    @Override
    public synchronized void close() {
        if (any) {
            err.println();
        }
    }
}
