package dev.diskimage.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code diskimage template}: lago template repositories. Alone it is a usage error that prints
 * the subcommands.
 */
@Command(name = "template", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        usageHelpAutoWidth = true, synopsisSubcommandLabel = "COMMAND",
        description = "Disk image templates from lago template repositories, kept in a local store.",
        commandListHeading = "%nCommands:%n",
        subcommands = {TemplateGetCommand.class})
final class TemplateCommand implements Callable<Integer> {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** No subcommand given: a usage error, with the usage on standard error. */
    @Override
    public Integer call() {
        CommandLine commandLine = spec.commandLine();
        commandLine.usage(commandLine.getErr());
        return ImageCheck.ERROR;
    }
}
