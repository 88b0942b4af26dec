package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.conversion.vhd.VhdChain;
import dev.diskimage.conversion.vhd.VhdFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code diskimage vhd chain}: opens a chain as {@link VhdChain#open(Path)} does and lists it, top first. */
@Command(name = "chain", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Follows a VHD's parents (relative locators inside its directory only), checks each"
                + " parent's unique id, and lists the chain top first.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the chain is whole", "1:a member is corrupt, or the chain is refused (missing parent,"
                + " wrong unique id, a locator leaving the directory, a loop)", "2:usage or I/O error"})
final class VhdChainCommand extends ImageCommand {
    @Parameters(index = "0", paramLabel = "TOP", description = "The top of the chain.")
    Path top;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        try (VhdChain chain = VhdChain.open(top)) {
            if (quiet) {
                return;
            }
            if (json) {
                ObjectNode root = object();
                root.put("top", top.toString());
                root.put("virtual_size", chain.virtualSize());
                ArrayNode members = root.putArray("members");
                for (VhdFile member : chain.members()) {
                    ObjectNode node = members.addObject();
                    node.put("file", member.path().toString());
                    node.put("type", typeName(member));
                    node.put("virtual_size", member.virtualSize());
                    node.put("unique_id", member.uniqueId().toString());
                    if (member.blockSize().isPresent()) {
                        node.put("block_size", member.blockSize().getAsLong());
                        node.put("allocated_blocks", member.allocatedBlocks());
                        node.put("blocks", member.blockCount());
                    }
                    member.parentUniqueId().ifPresent(id -> node.put("parent_unique_id", id.toString()));
                }
                ArrayNode warnings = root.putArray("warnings");
                chain.warnings().forEach(warnings::add);
                out.println(root);
                return;
            }
            out.println("chain of " + chain.members().size() + " VHD file(s), virtual size " + chain.virtualSize()
                    + " bytes, top first:");
            for (VhdFile member : chain.members()) {
                out.println("  " + member.path() + "  " + typeName(member) + ", " + member.virtualSize() + " bytes, "
                        + (member.blockSize().isPresent() ? member.allocatedBlocks() + "/" + member.blockCount()
                                + " blocks allocated, " : "") + "unique id " + member.uniqueId());
            }
            chain.warnings().forEach(warning -> err.println(CommandLines.name(spec.commandLine()) + ": warning: "
                    + warning));
        }
    }

    static String typeName(VhdFile file) {
        return file.diskType().name().toLowerCase(Locale.ROOT);
    }
}
