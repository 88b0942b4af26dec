package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.conversion.vhd.VhdFile;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.vhd.VhdDynamicHeader;
import dev.diskimage.core.vhd.VhdFooter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code diskimage vhd info}: what a VHD's footer, dynamic header, parent fields and allocation
 * table say, read and checked by {@link VhdFile} (never qemu-img; a differencing disk's parent is
 * named, not opened). Every text read from the file passes {@link UntrustedText}.
 */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Prints a VHD's footer, dynamic header, parent and allocation, read in pure Java.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the VHD was read", "1:the file breaks the VHD format",
                "2:usage error, or the file cannot be read"})
final class VhdInfoCommand extends ImageCommand {
    @Parameters(paramLabel = "FILE", arity = "1", description = "The VHD file.")
    Path file;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        try (VhdFile vhd = VhdFile.open(file)) {
            if (!quiet) {
                out.print(json ? json(vhd) + System.lineSeparator() : text(vhd));
            }
        }
    }

    static String json(VhdFile vhd) {
        VhdFooter footer = vhd.footer();
        ObjectNode root = object();
        root.put("file", vhd.path().toString());
        root.put("disk_type", vhd.diskType().name().toLowerCase(Locale.ROOT));
        root.put("virtual_size", vhd.virtualSize());
        root.put("current_size", footer.currentSize());
        root.put("original_size", footer.originalSize());
        root.put("creator_application", UntrustedText.sanitize(footer.creatorApp()));
        root.put("creator_version", version(footer.creatorVersion()));
        root.put("creator_host_os", UntrustedText.sanitize(footer.creatorHostOs()));
        ObjectNode geometry = root.putObject("geometry");
        geometry.put("cylinders", footer.geometry().cylinders());
        geometry.put("heads", footer.geometry().heads());
        geometry.put("sectors_per_track", footer.geometry().sectorsPerTrack());
        root.put("unique_id", footer.uniqueId().toString());
        root.put("timestamp", footer.time().toString());
        root.put("saved_state", footer.savedState() != 0);
        if (vhd.dynamicHeader().isPresent()) {
            VhdDynamicHeader header = vhd.dynamicHeader().get();
            root.put("block_size", header.blockSize());
            root.put("table_entries", header.maxTableEntries());
            root.put("allocated_blocks", vhd.allocatedBlocks());
            root.put("allocated_bytes", vhd.allocatedBlocks() * header.blockSize());
        } else {
            root.putNull("block_size");
            root.putNull("table_entries");
            root.putNull("allocated_blocks");
            root.put("allocated_bytes", vhd.virtualSize());
        }
        if (vhd.parentUniqueId().isPresent()) {
            ObjectNode parent = root.putObject("parent");
            parent.put("unique_id", vhd.parentUniqueId().get().toString());
            parent.put("timestamp", vhd.parentTimestamp().orElseThrow().toString());
            parent.put("name", UntrustedText.sanitize(vhd.parentName().orElseThrow()));
            ArrayNode locators = parent.putArray("locators");
            for (VhdFile.ParentLocator locator : vhd.parentLocators()) {
                ObjectNode node = locators.addObject();
                node.put("slot", locator.slot());
                node.put("platform", UntrustedText.sanitize(locator.platform()));
                node.put("path", UntrustedText.sanitize(locator.path()));
            }
        } else {
            root.putNull("parent");
        }
        return root.toString();
    }

    static String text(VhdFile vhd) {
        VhdFooter footer = vhd.footer();
        StringBuilder text = new StringBuilder();
        String nl = System.lineSeparator();
        text.append("File:             ").append(UntrustedText.sanitize(vhd.path().toString())).append(nl);
        text.append("Disk type:        ").append(vhd.diskType().name().toLowerCase(Locale.ROOT)).append(nl);
        text.append("Virtual size:     ").append(vhd.virtualSize()).append(" bytes").append(nl);
        text.append("Current size:     ").append(footer.currentSize()).append(" bytes (original ")
                .append(footer.originalSize()).append(")").append(nl);
        text.append("Geometry (CHS):   ").append(footer.geometry().cylinders()).append('/')
                .append(footer.geometry().heads()).append('/').append(footer.geometry().sectorsPerTrack()).append(nl);
        text.append("Creator:          '").append(UntrustedText.sanitize(footer.creatorApp())).append("' ")
                .append(version(footer.creatorVersion())).append(" on '")
                .append(UntrustedText.sanitize(footer.creatorHostOs())).append("'").append(nl);
        text.append("Unique id:        ").append(footer.uniqueId()).append(nl);
        text.append("Time stamp:       ").append(footer.time()).append(nl);
        if (vhd.dynamicHeader().isPresent()) {
            VhdDynamicHeader header = vhd.dynamicHeader().get();
            text.append("Block size:       ").append(header.blockSize()).append(" bytes").append(nl);
            text.append("Table entries:    ").append(header.maxTableEntries()).append(nl);
            text.append("Allocated:        ").append(vhd.allocatedBlocks()).append(" of ").append(vhd.blockCount())
                    .append(" blocks, ").append(vhd.allocatedBlocks() * header.blockSize()).append(" bytes").append(nl);
        }
        if (vhd.parentUniqueId().isPresent()) {
            text.append("Parent unique id: ").append(vhd.parentUniqueId().get()).append(nl);
            text.append("Parent time:      ").append(vhd.parentTimestamp().orElseThrow()).append(nl);
            text.append("Parent name:      ").append(UntrustedText.sanitize(vhd.parentName().orElseThrow())).append(nl);
            for (VhdFile.ParentLocator locator : vhd.parentLocators()) {
                text.append("Parent locator ").append(locator.slot()).append(": ")
                        .append(UntrustedText.sanitize(locator.platform())).append(' ')
                        .append(UntrustedText.sanitize(locator.path())).append(nl);
            }
        }
        return text.toString();
    }

    /** VHD spec: the creator version's major version in the upper 16 bits, the minor in the lower. */
    private static String version(long creatorVersion) {
        return (creatorVersion >>> 16) + "." + (creatorVersion & 0xFFFF);
    }
}
