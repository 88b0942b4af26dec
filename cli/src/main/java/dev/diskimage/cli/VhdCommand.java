package dev.diskimage.cli;

import dev.diskimage.conversion.vhd.VhdCorruptException;
import dev.diskimage.validation.Finding;
import dev.diskimage.validation.FindingCode;
import dev.diskimage.validation.ImageUnacceptableException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code diskimage vhd}: VHD files in pure Java (no qemu-img, no vhd-util), one subcommand per
 * job. Alone it is a usage error that prints the subcommands.
 */
@Command(name = "vhd", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        usageHelpAutoWidth = true, synopsisSubcommandLabel = "COMMAND",
        description = "VHD (vpc) files and chains in pure Java: what they say, their size, their parents,"
                + " coalescing (qemu-img cannot follow a VHD parent).",
        commandListHeading = "%nCommands:%n",
        subcommands = {VhdInfoCommand.class, VhdChainCommand.class, VhdCoalesceCommand.class,
            VhdSetParentCommand.class, VhdResizeCommand.class})
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

    /** A file that breaks the VHD format is a refused image (exit 1), named by the field that broke. */
    static ImageUnacceptableException refused(Path file, VhdCorruptException e) {
        FindingCode code = switch (e.kind()) {
            case TRUNCATED -> FindingCode.TRUNCATED;
            case BAD_CHECKSUM -> FindingCode.VHD_BAD_CHECKSUM;
            case OUT_OF_BOUNDS -> FindingCode.VHD_TABLE_OUT_OF_BOUNDS;
            case MALFORMED -> FindingCode.MALFORMED_HEADER;
        };
        return new ImageUnacceptableException(file.toString(),
                List.of(Finding.reject(code, e.offset(), e.formatError().reason())));
    }
}
