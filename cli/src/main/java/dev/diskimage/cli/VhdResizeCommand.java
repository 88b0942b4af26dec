package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.conversion.vhd.VhdResize;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diskimage vhd resize}: sets a VHD's virtual size in place with {@link VhdResize}, crash-safe
 * through an undo journal beside the file ({@code FILE.resize-journal}); {@code --recover}
 * finishes or rolls back a resize that was interrupted.
 */
@Command(name = "resize", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Sets a VHD's virtual size in place, in pure Java (dynamic, differencing and fixed disks).",
                "Crash-safe: an undo journal FILE.resize-journal lives beside the file while it runs; after a crash,"
                        + " --recover finishes or rolls back the resize.",
                "A smaller size needs --shrink, and is refused when data lies beyond it."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:resized (or recovered)", "1:the file breaks the VHD format",
                "2:usage or I/O error, a shrink without --shrink or over data, a size beyond 2040 GiB,"
                        + " or a journal left by an interrupted resize"})
final class VhdResizeCommand extends ImageCommand {
    /** Beside the VHD: same directory, so that the rename that publishes it is atomic. */
    static final String JOURNAL_SUFFIX = ".resize-journal";

    @Option(names = "--shrink", description = "Allow a size smaller than the current one (refused over data).")
    boolean shrink;

    @Option(names = "--recover", description = "Only finish or roll back an interrupted resize of FILE.")
    boolean recover;

    @Parameters(index = "0", paramLabel = "FILE", description = "The VHD, resized in place.")
    Path file;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SIZE",
            description = "New virtual size: bytes or units (512M, 10G); rounded up to what the disk can express.")
    String size;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        Path journal = file.resolveSibling(file.getFileName() + JOURNAL_SUFFIX);
        if (recover) {
            if (size != null) {
                throw new IllegalArgumentException("--recover takes no SIZE");
            }
            VhdResize.Recovery recovery = VhdResize.recover(file, journal);
            if (!quiet) {
                out.println(json ? recoveryJson(recovery) : recoveryText(recovery));
            }
            return;
        }
        if (size == null) {
            throw new IllegalArgumentException("missing SIZE (try 'diskimage vhd resize --help')");
        }
        long newSize = SizeParser.parse(size);
        VhdResize.Result result = VhdResize.resize(file, newSize, journal, shrink);
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("file", file.toString());
            root.put("old_virtual_size", result.oldVirtualSize());
            root.put("virtual_size", result.virtualSize());
            root.put("moved_blocks", result.movedBlocks());
            root.put("table_entries", result.tableEntries());
            out.println(root.toString());
            return;
        }
        out.println("resized " + file + " from " + result.oldVirtualSize() + " to " + result.virtualSize() + " bytes"
                + (result.movedBlocks() > 0 ? " (" + result.movedBlocks() + (result.movedBlocks() == 1 ? " block" : " blocks")
                        + " moved to grow the table)" : ""));
    }

    private String recoveryJson(VhdResize.Recovery recovery) {
        ObjectNode root = object();
        root.put("file", file.toString());
        root.put("recovery", recovery.name().toLowerCase(java.util.Locale.ROOT));
        return root.toString();
    }

    private String recoveryText(VhdResize.Recovery recovery) {
        return switch (recovery) {
            case NOTHING_TO_DO -> "no interrupted resize of " + file;
            case COMPLETED -> "the interrupted resize of " + file + " had finished; its journal is removed";
            case ROLLED_BACK -> "rolled back the interrupted resize of " + file + ": it is as it was before";
        };
    }
}
