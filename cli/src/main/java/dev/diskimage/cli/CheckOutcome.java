package dev.diskimage.cli;

import dev.diskimage.validation.ValidationReport;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code image-check} learned about one command-line argument: a validation report, or
 * the reason the file could not be inspected at all (missing, a directory, unreadable, an
 * internal failure). Keeping both in one value lets every file get its line even when another
 * file failed.
 *
 * @param file   the argument as the user gave it ({@code -} for standard input)
 * @param report the validator's report, when the file could be inspected
 * @param error  why the file could not be inspected, when it could not
 */
record CheckOutcome(String file, Optional<ValidationReport> report, Optional<String> error) {

    /** The three answers a pipeline branches on. */
    enum Status {
        ACCEPT, REJECT, ERROR
    }

    CheckOutcome {
        Objects.requireNonNull(file, "file");
        if (report.isPresent() == error.isPresent()) {
            throw new IllegalArgumentException("exactly one of report and error");
        }
    }

    /** An inspected file; a report that says the file could not be read becomes an error. */
    static CheckOutcome of(String file, ValidationReport report) {
        if (report.uninspectable()) {
            return failed(file, report.rejections().get(0).message());
        }
        return new CheckOutcome(file, Optional.of(report), Optional.empty());
    }

    /** A file that could not be inspected at all. */
    static CheckOutcome failed(String file, String reason) {
        return new CheckOutcome(file, Optional.empty(), Optional.of(reason));
    }

    Status status() {
        if (error.isPresent()) {
            return Status.ERROR;
        }
        return report.get().accepted() ? Status.ACCEPT : Status.REJECT;
    }
}
