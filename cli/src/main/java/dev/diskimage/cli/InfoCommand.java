package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.core.QemuImgInfo;
import dev.diskimage.validation.ValidatedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code diskimage info}: the validator first, then {@code qemu-img info -f} under process limits. */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Shows what qemu-img reports about an image, after the validator accepted it.",
                "qemu-img runs with the detected format (-f) and under CPU and memory limits."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:shown", "1:the image was refused", "2:usage, set-up or I/O error"})
final class InfoCommand extends ImageCommand {
    @Option(names = {"-f", "--format"}, paramLabel = "F",
            description = "Declared format; the bytes must be this format.")
    String format;

    @Parameters(paramLabel = "FILE", description = "The image.")
    Path file;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        ValidatedImage image = validated(validator(), file, format, "--format");
        image.requireUnchanged();
        QemuImgInfo info = qemu().info(file, image.format());
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("file", file.toString());
            root.put("format", image.format().glanceName());
            root.put("virtual_size", info.virtualSize());
            if (info.actualSize().isPresent()) {
                root.put("actual_size", info.actualSize().getAsLong());
            } else {
                root.putNull("actual_size");
            }
            if (info.clusterSize().isPresent()) {
                root.put("cluster_size", info.clusterSize().getAsLong());
            } else {
                root.putNull("cluster_size");
            }
            root.put("dirty", info.dirty());
            root.put("encrypted", info.encrypted());
            root.put("variant", image.report().variant().orElse(null));
            out.println(root);
            return;
        }
        out.println("file: " + file);
        out.println("format: " + image.format().glanceName() + image.report().variant().map(v -> " (" + v + ")")
                .orElse(""));
        out.println("virtual size: " + info.virtualSize() + " bytes");
        info.actualSize().ifPresent(size -> out.println("disk size: " + size + " bytes"));
        info.clusterSize().ifPresent(size -> out.println("cluster size: " + size + " bytes"));
        if (info.dirty()) {
            out.println("dirty: yes");
        }
        if (info.encrypted()) {
            out.println("encrypted: yes");
        }
    }
}
