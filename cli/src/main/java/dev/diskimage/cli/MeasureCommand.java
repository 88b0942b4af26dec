package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImgMeasurement;
import dev.diskimage.validation.ValidatedImage;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code diskimage measure}: the space a conversion needs, after the validator accepted the image. */
@Command(name = "measure", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Shows the space converting an image to another format needs (qemu-img measure).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:measured", "1:the image was refused", "2:usage, set-up or I/O error"})
final class MeasureCommand extends ImageCommand {
    @Option(names = {"-f", "--format"}, paramLabel = "F",
            description = "Declared source format; the bytes must be this format.")
    String format;

    @Option(names = "-O", paramLabel = "F", required = true, description = "Target format.")
    String targetFormat;

    @Parameters(paramLabel = "FILE", description = "The image.")
    Path file;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        DiskFormat target = format(targetFormat, "-O");
        ValidatedImage image = validated(validator(), file, format, "-f");
        image.requireUnchanged();
        QemuImgMeasurement measurement = qemu().measure(file, image.format(), target);
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("file", file.toString());
            root.put("format", image.format().glanceName());
            root.put("target_format", target.glanceName());
            root.put("required", measurement.required());
            root.put("fully_allocated", measurement.fullyAllocated());
            out.println(root);
            return;
        }
        out.println("required size: " + measurement.required());
        out.println("fully allocated size: " + measurement.fullyAllocated());
    }
}
