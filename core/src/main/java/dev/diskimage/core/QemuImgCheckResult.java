package dev.diskimage.core;

import java.util.OptionalLong;

/**
 * The outcome of {@code qemu-img check}. Its exit code carries meaning rather than failure:
 * 0 clean, 2 corruptions found, 3 only leaked clusters found, 63 the format cannot be checked.
 * (Exit code 1, "the check could not complete", is thrown as {@link QemuImgException}.)
 *
 * @param exitCode qemu-img's exit code
 * @param outcome what the exit code means
 * @param corruptions corruptions counted, 0 if not reported
 * @param leaks leaked clusters counted, 0 if not reported
 * @param checkErrors errors that stopped parts of the check, 0 if not reported
 * @param imageEndOffset where the image data ends, if reported
 * @param stderrTail what qemu-img printed on stderr
 */
public record QemuImgCheckResult(int exitCode, Outcome outcome, long corruptions, long leaks, long checkErrors,
        OptionalLong imageEndOffset, String stderrTail) {

    /** What a {@code qemu-img check} exit code means. */
    public enum Outcome {
        /** Exit 0: no problems found. */
        CLEAN(0),
        /** Exit 2: the image is corrupted. */
        CORRUPTED(2),
        /** Exit 3: clusters leaked, but no corruption; harmless wasted space. */
        LEAKED(3),
        /** Exit 63: the format does not support checks. */
        NOT_SUPPORTED(63);

        private final int exitCode;

        Outcome(int exitCode) {
            this.exitCode = exitCode;
        }

        /**
         * The exit code meaning this outcome.
         *
         * @return the {@code qemu-img check} exit code: 0, 2, 3 or 63
         */
        public int exitCode() {
            return exitCode;
        }
    }

    /**
     * Whether the check found neither corruption nor leaks.
     *
     * @return true if the outcome is {@link Outcome#CLEAN}
     */
    public boolean clean() {
        return outcome == Outcome.CLEAN;
    }
}
