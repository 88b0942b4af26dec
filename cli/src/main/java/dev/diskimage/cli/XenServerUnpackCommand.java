package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.conversion.vhd.VhdChain;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code diskimage xenserver-unpack}: {@link VhdChain#unpackXenServerImage}. */
@Command(name = "xenserver-unpack", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Turns a XenServer image archive (a .tgz of 0.vhd, the top, 1.vhd, ... the base) into one"
                + " dynamic VHD: extracts it safely, reconnects and coalesces the chain, validates the"
                + " result.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:written", "1:the archive, the chain or the result was refused",
                "2:usage or I/O error, or OUT exists"})
final class XenServerUnpackCommand extends ImageCommand {
    @Parameters(index = "0", paramLabel = "ARCHIVE", description = "The gzipped tar archive; left as it is.")
    Path archive;

    @Parameters(index = "1", paramLabel = "OUT", description = "The VHD to write; must not exist.")
    Path output;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        VhdChain.unpackXenServerImage(archive, output, validator());
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("archive", archive.toString());
            root.put("output", output.toString());
            out.println(root);
            return;
        }
        out.println("unpacked " + archive + " into " + output);
    }
}
