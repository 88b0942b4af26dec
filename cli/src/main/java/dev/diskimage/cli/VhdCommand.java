package dev.diskimage.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code diskimage vhd}: the VHD commands that need no qemu-img, as subcommands. Alone, it is a
 * usage error that prints the list.
 */
@Command(name = "vhd", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        synopsisSubcommandLabel = "COMMAND",
        description = "VHD files and chains in pure Java (qemu-img cannot follow a VHD parent).",
        commandListHeading = "%nCommands:%n",
        subcommands = {VhdChainCommand.class, VhdCoalesceCommand.class, VhdSetParentCommand.class})
final class VhdCommand implements Callable<Integer> {
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
