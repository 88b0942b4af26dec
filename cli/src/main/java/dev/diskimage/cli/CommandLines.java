package dev.diskimage.cli;

import dev.diskimage.core.DiskFormat;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Sets up a picocli command line the way every diskimage command behaves (DESIGN.md, "The
 * diskimage command line"): file names are data ({@code @file} expansion off), errors are one
 * line prefixed with the command the user typed ({@code image-check} or {@code diskimage check})
 * and exit 2, never a stack trace. One place, so that {@code image-check} and
 * {@code diskimage check} cannot drift apart.
 */
final class CommandLines {
    private CommandLines() {
    }

    /** Standard output as UTF-8, flushed by the command when it is done. */
    static PrintWriter stdout() {
        return new PrintWriter(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    }

    /** Standard error as UTF-8, flushed on every line. */
    static PrintWriter stderr() {
        return new PrintWriter(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    }

    /**
     * Configures {@code commandLine} and the subcommands already added to it. Call it after adding
     * every subcommand: picocli copies these settings down the hierarchy only once.
     */
    static CommandLine configure(CommandLine commandLine, PrintWriter out, PrintWriter err) {
        Logging.quietByDefault();
        System.setProperty("diskimage.formats", DiskFormat.knownNames());
        commandLine.setExpandAtFiles(false);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setExecutionExceptionHandler((exception, failed, parsed) -> {
            LoggerFactory.getLogger(CommandLines.class).debug("internal error", exception);
            err.println(name(failed) + ": " + FailureText.describe(exception));
            return ImageCheck.ERROR;
        });
        commandLine.setParameterExceptionHandler((exception, args) -> {
            usageError(exception, err);
            return ImageCheck.ERROR;
        });
        return commandLine;
    }

    /** The name the user typed: {@code image-check}, or {@code diskimage check} for a subcommand. */
    static String name(CommandLine commandLine) {
        return commandLine.getCommandSpec().qualifiedName();
    }

    private static void usageError(CommandLine.ParameterException exception, PrintWriter err) {
        CommandLine failed = exception.getCommandLine();
        String name = name(failed);
        if (exception instanceof CommandLine.UnmatchedArgumentException unmatched) {
            String unknownCommand = unknownCommand(failed, unmatched);
            if (unknownCommand != null) {
                err.println(name + ": unknown command '" + unknownCommand + "' (commands: "
                        + String.join(", ", failed.getSubcommands().keySet()) + "; try '" + name + " --help')");
                return;
            }
            err.println(name + ": " + exception.getMessage());
            if (!unmatched.getSuggestions().isEmpty()) {
                err.println("Did you mean: " + String.join(", ", unmatched.getSuggestions()) + "?");
            }
        } else {
            err.println(name + ": " + exception.getMessage());
        }
        err.println("Try '" + name + " --help' for more information.");
    }

    /** The word taken for a subcommand name, when a command with subcommands was given one it lacks. */
    private static String unknownCommand(CommandLine failed, CommandLine.UnmatchedArgumentException unmatched) {
        if (failed.getSubcommands().isEmpty() || unmatched.getUnmatched().isEmpty()) {
            return null;
        }
        String first = unmatched.getUnmatched().get(0);
        return first.startsWith("-") ? null : first;
    }
}
