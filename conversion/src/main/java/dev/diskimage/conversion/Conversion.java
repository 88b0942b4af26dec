package dev.diskimage.conversion;

import dev.diskimage.core.ImageException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A running conversion started by {@link ImageConverter#convert(ConvertRequest)}: its progress,
 * a way to cancel it, and its outcome. Thread-safe; any thread may cancel or wait.
 */
public final class Conversion {
    private final Path target;
    private final CompletableFuture<ConversionResult> outcome = new CompletableFuture<>();
    private final ConversionJob job;

    Conversion(Path target, ConversionJob job) {
        this.target = target;
        this.job = job;
    }

    CompletableFuture<ConversionResult> outcome() {
        return outcome;
    }

    /**
     * The target the conversion writes.
     *
     * @return the request's target path
     */
    public Path target() {
        return target;
    }

    /**
     * The last progress qemu-img reported.
     *
     * @return a percentage from 0 to 100; 100 once the conversion succeeded
     */
    public double progress() {
        return outcome.isDone() && !outcome.isCompletedExceptionally() ? 100.0 : job.progress();
    }

    /**
     * Asks the conversion to stop: qemu-img is terminated (killed if it does not end at once) and
     * no partial file remains. {@link #await()} then throws {@link ConversionCancelledException}.
     *
     * @return false if the conversion had already finished, true otherwise
     */
    public boolean cancel() {
        if (outcome.isDone()) {
            return false;
        }
        job.cancel();
        return true;
    }

    /**
     * Whether the conversion has finished (succeeded, failed or been cancelled).
     *
     * @return true once {@link #await()} would return or throw without waiting
     */
    public boolean isDone() {
        return outcome.isDone();
    }

    /**
     * Waits for the conversion to finish.
     *
     * @return what it made
     * @throws InterruptedException if the waiting thread is interrupted (the conversion goes on)
     * @throws ImageException the conversion's failure: {@code ImageUnacceptableException} for a
     *     refused source, {@link ConvertedImageRejectedException}, {@link ConversionCancelledException},
     *     {@link ConversionTimedOutException}, {@code NotEnoughSpaceException},
     *     {@link ConversionFailedException}, {@link ConversionRefusedException}
     */
    public ConversionResult await() throws InterruptedException {
        try {
            return outcome.get();
        } catch (ExecutionException e) {
            throw rethrow(e);
        }
    }

    /**
     * Waits at most {@code timeout} for the conversion to finish; the conversion goes on if it
     * has not.
     *
     * @param timeout how long to wait
     * @return the result, or empty if the conversion is still running
     * @throws InterruptedException if the waiting thread is interrupted
     * @throws ImageException the conversion's failure, as {@link #await()}
     */
    public Optional<ConversionResult> await(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(outcome.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw rethrow(e);
        }
    }

    /**
     * The result, if the conversion has succeeded.
     *
     * @return the result; empty while running or after a failure
     */
    public Optional<ConversionResult> result() {
        return outcome.isDone() && !outcome.isCompletedExceptionally() ? Optional.of(outcome.join())
                : Optional.empty();
    }

    private static RuntimeException rethrow(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException runtime) {
            return runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new ImageException("conversion failed: " + cause, cause);
    }
}
