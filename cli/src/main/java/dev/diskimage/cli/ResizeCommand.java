package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.conversion.ImageConverter;
import dev.diskimage.crypto.Passphrase;
import dev.diskimage.validation.ImageValidator;
import dev.diskimage.validation.ValidatedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code diskimage resize}: validated, always {@code -f}, {@code --shrink} only when asked. */
@Command(name = "resize", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Sets an image's virtual size, after the validator accepted it.",
                "A smaller size needs --shrink: the data past the new end is lost."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:resized", "1:the image was refused", "2:usage, set-up or I/O error, a shrink"
                + " without --shrink, or a missing or wrong passphrase of an encrypted image"})
final class ResizeCommand extends ImageCommand {
    @Option(names = {"-f", "--format"}, paramLabel = "F",
            description = "Declared format; the bytes must be this format.")
    String format;

    @Option(names = "--shrink", description = "Allow a size smaller than the current one.")
    boolean shrink;

    @Option(names = "--passphrase-file", paramLabel = "P", description = "The passphrase of an encrypted image"
            + " (LUKS1, or qcow2 with LUKS encryption); it reaches qemu-img in a 0600 secret file, never on a"
            + " command line.")
    Path passphraseFile;

    @Parameters(index = "0", paramLabel = "FILE", description = "The image, resized in place.")
    Path file;

    @Parameters(index = "1", paramLabel = "SIZE", description = "New virtual size: bytes or units (512M, 10G).")
    String size;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        long newSize = SizeParser.parse(size);
        ImageValidator validator = validator();
        ValidatedImage image = validated(validator, file, format, "-f");
        ImageConverter converter = ImageConverter.using(qemu(), validator);
        if (passphraseFile != null) {
            converter.resize(image, newSize, shrink, Passphrase.fromFile(passphraseFile));
        } else {
            converter.resize(image, newSize, shrink);
        }
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("file", file.toString());
            root.put("format", image.format().glanceName());
            root.put("old_virtual_size", image.virtualSize());
            root.put("virtual_size", newSize);
            out.println(root);
            return;
        }
        out.println("resized " + file + " (" + image.format().glanceName() + ") from " + image.virtualSize()
                + " to " + newSize + " bytes");
    }
}
