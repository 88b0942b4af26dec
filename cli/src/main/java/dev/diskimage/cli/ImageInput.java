package dev.diskimage.cli;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.IoErrorText;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.InspectingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Checks one command-line argument the way it has to be read: {@code -} and named pipes are
 * streams, validated as the bytes pass ({@code curl ... | image-check --format qcow2 -}); any
 * other name is a file, read by offset. File names are data: nothing in a name is interpreted.
 */
final class ImageInput {
    /** The argument that names standard input. */
    static final String STDIN = "-";

    /** POSIX st_mode file type bits and the FIFO type. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;

    private final ImageValidator validator;
    private final DiskFormat declared;
    private final InputStream stdin;

    ImageInput(ImageValidator validator, DiskFormat declared, InputStream stdin) {
        this.validator = validator;
        this.declared = declared;
        this.stdin = stdin;
    }

    /** Whether {@code argument} is read as a stream rather than by offset. */
    static boolean isStream(String argument) {
        if (argument.equals(STDIN)) {
            return true;
        }
        try {
            Object mode = Files.getAttribute(Path.of(argument), "unix:mode");
            return mode instanceof Integer bits && (bits & S_IFMT) == S_IFIFO;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Validates {@code argument}; never throws for a bad or missing image. */
    CheckOutcome check(String argument) {
        Path path;
        try {
            path = Path.of(argument);
        } catch (InvalidPathException e) {
            return CheckOutcome.failed(argument, "not a valid file name");
        }
        if (!isStream(argument)) {
            return CheckOutcome.of(argument,
                    declared == null ? validator.validate(path) : validator.validate(path, declared));
        }
        try (InputStream in = argument.equals(STDIN) ? nonClosing(stdin) : Files.newInputStream(path);
                InspectingInputStream inspecting = declared == null ? validator.inspecting(in, argument)
                        : validator.inspecting(in, argument, declared)) {
            return CheckOutcome.of(argument, inspecting.drainAndReport());
        } catch (IOException e) {
            return CheckOutcome.failed(argument, "cannot read: " + IoErrorText.describe(e));
        }
    }

    /** Standard input belongs to the process: checking it must not close it. */
    private static InputStream nonClosing(InputStream in) {
        return new java.io.FilterInputStream(in) {
            @Override
            public void close() {
                // Left open on purpose; see above.
            }
        };
    }
}
