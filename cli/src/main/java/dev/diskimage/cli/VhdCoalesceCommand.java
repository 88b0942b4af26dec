package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.conversion.vhd.VhdChain;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diskimage vhd coalesce}: {@link VhdChain#coalesceChain} (into the base, in place) or,
 * with {@code --output}, {@link VhdChain#coalesceInto} (a new file, the chain untouched).
 */
@Command(name = "coalesce", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Merges the VHD chain ending at TOP into one dynamic VHD: into the base in place, or into"
                + " a new file with --output, leaving the chain untouched. Either way the result appears"
                + " whole or not at all (written beside it, synced, renamed).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:coalesced", "1:a member is corrupt, or the chain is refused", "2:usage or I/O error,"
                + " or the output exists"})
final class VhdCoalesceCommand extends ImageCommand {
    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Write the result here (must not exist)"
            + " instead of into the base.")
    Path output;

    @Parameters(index = "0", paramLabel = "TOP", description = "The top of the chain.")
    Path top;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        int files;
        try (VhdChain chain = VhdChain.open(top)) {
            files = chain.members().size();
        }
        Path result;
        if (output != null) {
            VhdChain.coalesceInto(top, output);
            result = output;
        } else {
            result = VhdChain.coalesceChain(top);
        }
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("top", top.toString());
            root.put("output", result.toString());
            root.put("files", files);
            root.put("in_place", output == null);
            out.println(root);
            return;
        }
        out.println("coalesced the chain of " + files + " VHD file(s) topped by " + top + " into " + result);
    }
}
