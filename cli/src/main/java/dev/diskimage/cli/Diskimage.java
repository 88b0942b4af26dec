package dev.diskimage.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
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
        registered(args, subcommands(in)).forEach((name, command) ->
                commandLine.addSubcommand(name, new CommandLine(command.get()).setCommandName(name)));
        return CommandLines.configure(commandLine, out, err).execute(args);
    }

    /**
     * The subcommands to build: only the one named, when the command line starts with a known
     * name. picocli reflects over a command's annotations to build its model, and building every
     * command's model was a third of a short run's start-up; the others are needed only to list
     * them (no command, {@code --help}, an unknown one).
     */
    static Map<String, Supplier<Object>> registered(String[] args, Map<String, Supplier<Object>> all) {
        if (args.length > 0 && all.containsKey(args[0])) {
            return Map.of(args[0], all.get(args[0]));
        }
        return all;
    }

    /** Every subcommand by the name the user types; a new command is one more line here. */
    static Map<String, Supplier<Object>> subcommands(InputStream in) {
        Map<String, Supplier<Object>> commands = new LinkedHashMap<>();
        commands.put("check", () -> new ImageCheck(in));
        commands.put("info", InfoCommand::new);
        commands.put("convert", ConvertCommand::new);
        commands.put("resize", ResizeCommand::new);
        commands.put("measure", MeasureCommand::new);
        commands.put("luks-dump", LuksDump::new);
        commands.put("vhd", VhdCommand::new);
        commands.put("xenserver-unpack", XenServerUnpackCommand::new);
        commands.put("upload", UploadCommand::new);
        commands.put("fetch", FetchCommand::new);
        commands.put("images", ImagesCommand::new);
        commands.put("distro", DistroCommand::new);
        commands.put("template", TemplateCommand::new);
        commands.put("cache", CacheCommand::new);
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
