package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.conversion.images.FetchResult;
import dev.diskimage.conversion.images.ImageDownloader;
import dev.diskimage.conversion.images.SignaturePolicy;
import dev.diskimage.conversion.images.TransferProgress;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.service.ImageService;
import dev.diskimage.core.service.RequestContext;
import dev.diskimage.crypto.CertificateStore;
import dev.diskimage.crypto.TrustPolicy;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diskimage fetch}: Cinder's {@code fetch_to_volume_format} from the command line. The
 * image is downloaded in one verified pass (size, checksum, multihash, the validator on the
 * stream, the signature when asked), validated again as a file and converted to the volume
 * format; DEST appears only when all of it passed. A raw image for a raw volume streams straight
 * to DEST.
 */
@Command(name = "fetch", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Downloads an image, verified and validated, into a volume file (or block device) of a format.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:fetched", "1:the image was refused (format, policy, hashes, size, signature, too big for"
                + " --size, not found); nothing is at DEST", "2:usage, set-up or I/O error, or a service failure"})
final class FetchCommand extends ImageCommand {
    @Mixin
    ImageServiceOptions service;

    @Option(names = "--volume-format", paramLabel = "F", defaultValue = "raw",
            description = "The format DEST holds (default: ${DEFAULT-VALUE}).")
    String volumeFormat;

    @Option(names = "--size", paramLabel = "GiB", description = "The volume's size in GiB: the image's virtual size"
            + " must fit.")
    Long sizeGiB;

    @Option(names = "--blocksize", paramLabel = "BYTES", defaultValue = "1M", description = "The size of each write"
            + " when a raw image streams straight to DEST (default: ${DEFAULT-VALUE}).")
    String blocksize;

    @Option(names = "--conversion-dir", paramLabel = "DIR",
            description = "Where the download is kept while it is converted (default: the system's temporary directory).")
    Path conversionDir;

    @Option(names = "--certificates", paramLabel = "DIR", description = "Verify image signatures (img_signature"
            + " properties) with the signing certificates in DIR, one <uuid>.pem per certificate.")
    Path certificates;

    @Option(names = "--trust", paramLabel = "UUID", description = "A certificate in --certificates that signing"
            + " certificates must chain to (repeatable; without it only validity dates are checked).")
    List<String> trusted = new ArrayList<>();

    @Option(names = "--require-signed", description = "Refuse images without a signature (needs --certificates).")
    boolean requireSigned;

    @Parameters(index = "0", paramLabel = "IMAGE_ID", description = "The image's id in the service.")
    String imageId;

    @Parameters(index = "1", paramLabel = "DEST", description = "The volume file or block device to write.")
    Path destination;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        DiskFormat format = format(volumeFormat, "--volume-format");
        long blockBytes = SizeParser.parse(blocksize);
        if (blockBytes < 512 || blockBytes > 64L << 20) {
            throw new IllegalArgumentException("--blocksize must be within 512 bytes and 64 MiB");
        }
        if (sizeGiB != null && sizeGiB < 1) {
            throw new IllegalArgumentException("--size must be at least 1 GiB");
        }
        ImageDownloader downloader = signatures(ImageFlows.downloader(validator(), conversionDir));
        ImageService images = service.open();
        RequestContext ctx = service.context();
        FetchResult result;
        try (TransferBar bar = TransferBar.forTerminal(quiet, err)) {
            result = ImageFlows.flows(downloader.withProgress(bar), TransferProgress.NONE)
                    .fetchToVolumeFormat(ctx, images, imageId, destination, format, (int) blockBytes,
                            sizeGiB == null ? OptionalLong.empty() : OptionalLong.of(sizeGiB));
        }
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("id", result.meta().id());
            root.put("destination", destination.toString());
            root.put("image_format", result.imageFormat().glanceName());
            root.put("volume_format", result.volumeFormat().glanceName());
            root.put("virtual_size", result.virtualSize());
            root.put("checksum", result.meta().checksum().orElse(null));
            root.put("os_hash_algo", result.meta().osHashAlgo().orElse(null));
            root.put("os_hash_value", result.meta().osHashValue().orElse(null));
            root.put("streamed_directly", result.streamedDirectly());
            out.println(root);
            return;
        }
        out.println(String.format(Locale.ROOT, "fetched %s (%s, %d bytes virtual) to %s as %s%s", result.meta().describe(),
                result.imageFormat().glanceName(), result.virtualSize(), destination, result.volumeFormat().glanceName(),
                result.streamedDirectly() ? ", streamed directly" : ""));
    }

    private ImageDownloader signatures(ImageDownloader downloader) {
        if (certificates == null) {
            if (requireSigned || !trusted.isEmpty()) {
                throw new IllegalArgumentException((requireSigned ? "--require-signed" : "--trust")
                        + " needs --certificates DIR (where signing certificates are)");
            }
            return downloader;
        }
        CertificateStore store = CertificateStore.directory(certificates);
        TrustPolicy trust = trusted.isEmpty() ? TrustPolicy.validityOnly() : TrustPolicy.trusting(store, trusted);
        return downloader.withSignatures(new SignaturePolicy(store, trust, Clock.systemUTC(), requireSigned));
    }
}
