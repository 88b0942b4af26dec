package dev.diskimage.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code diskimage}: the one command line of the toolkit, with a subcommand per job
 * ({@code diskimage check} is {@code image-check}). Every subcommand keeps the exit-code contract
 * (0 success, 1 a refused image, 2 usage or set-up error); {@code diskimage} alone or with a
 * command it does not know is a usage error.
 */
@Command(name = "diskimage", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        usageHelpAutoWidth = true, synopsisSubcommandLabel = "COMMAND",
        description = "Safety-first toolkit for VM disk images: pure-Java inspectors validate an image before"
                + " qemu-img touches it.",
        commandListHeading = "%nCommands:%n",
        footer = "%nRun 'diskimage COMMAND --help' for a command's options and exit codes.")
public final class Diskimage implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private Diskimage() {
    }

    /**
     * Runs the command and exits the JVM with its exit code.
     *
     * @param args the command line after {@code diskimage}: a subcommand such as {@code check}
     *     with its options and operands, or {@code --help} / {@code --version}
     */
    public static void main(String[] args) {
        System.exit(run(args, System.in, CommandLines.stdout(), CommandLines.stderr()));
    }

    /** Runs the command with the given streams; returns the exit code. */
    static int run(String[] args, InputStream in, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new Diskimage());
        subcommands(in).forEach((name, command) ->
                commandLine.addSubcommand(name, new CommandLine(command).setCommandName(name)));
        return CommandLines.configure(commandLine, out, err).execute(args);
    }

    /** Every subcommand by the name the user types; a new command is one more line here. */
    static Map<String, Object> subcommands(InputStream in) {
        Map<String, Object> commands = new LinkedHashMap<>();
        commands.put("check", new ImageCheck(in));
        commands.put("info", new InfoCommand());
        commands.put("convert", new ConvertCommand());
        commands.put("resize", new ResizeCommand());
        commands.put("measure", new MeasureCommand());
        commands.put("luks-dump", new LuksDump());
        return commands;
    }

    /** No subcommand given: a usage error, with the usage on standard error. */
    @Override
    public Integer call() {
        CommandLine commandLine = spec.commandLine();
        commandLine.usage(commandLine.getErr());
        return ImageCheck.ERROR;
    }
}
