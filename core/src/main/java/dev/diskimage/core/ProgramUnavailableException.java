package dev.diskimage.core;

/**
 * A program this toolkit drives ({@code qemu-img}, {@code prlimit}) is not installed or cannot
 * be started. This is a set-up error, never a verdict on an image: callers report it as such
 * (the command line exits 2) instead of refusing the image they were looking at.
 */
public class ProgramUnavailableException extends ImageException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the error with a message naming the program and what to install.
     *
     * @param message the detail message, naming the program and what to install
     */
    public ProgramUnavailableException(String message) {
        super(message);
    }

    /**
     * Creates the error with a message naming the program, and the cause from the OS.
     *
     * @param message the detail message, naming the program that could not be started
     * @param cause the operating system's error for the failed start (an
     *     {@link java.io.IOException}); may be null
     */
    public ProgramUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
