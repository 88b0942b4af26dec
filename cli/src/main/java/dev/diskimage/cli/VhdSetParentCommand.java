package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.conversion.vhd.VhdChain;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code diskimage vhd set-parent}: {@link VhdChain#setParent}. */
@Command(name = "set-parent", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Makes PARENT the parent of the differencing VHD CHILD: rewrites the parent's unique id,"
                + " time stamp, name and every locator in place (an interrupted change is rolled back).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:changed", "1:a file is corrupt, CHILD is not a differencing disk, or a path does not"
                + " fit its reserved space", "2:usage or I/O error"})
final class VhdSetParentCommand extends ImageCommand {
    @Parameters(index = "0", paramLabel = "CHILD", description = "The differencing VHD, changed in place.")
    Path child;

    @Parameters(index = "1", paramLabel = "PARENT", description = "Its new parent.")
    Path parent;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        VhdChain.setParent(child, parent);
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("child", child.toString());
            root.put("parent", parent.toString());
            out.println(root);
            return;
        }
        out.println(child + " now has parent " + parent);
    }
}
