package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.conversion.ConversionResult;
import dev.diskimage.conversion.ConvertRequest;
import dev.diskimage.conversion.ImageConverter;
import dev.diskimage.conversion.LuksTarget;
import dev.diskimage.conversion.TargetCache;
import dev.diskimage.conversion.Throttle;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.crypto.CipherSpec;
import dev.diskimage.crypto.Passphrase;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diskimage convert}: the source is validated first (qemu-img never sees a refused
 * image), the output is validated too, and DEST appears whole or not at all.
 */
@Command(name = "convert", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Converts an image to another format with qemu-img, after the validator accepted it.",
                "The output is validated too; DEST appears only when the conversion succeeded."},
        exitCodeListHeading = "%nExit codes:%n",
        footerHeading = "%nEncryption:%n",
        footer = {"Passphrases are read from files (all their bytes) and reach qemu-img only through a 0600",
                "secret file that is deleted afterwards; never on a command line. A LUKS source's passphrase is",
                "proved before qemu-img starts. An encrypted source becomes a plain DEST only with --decrypt."},
        exitCodeList = {"0:converted", "1:the source (or the converted output) was refused",
                "2:usage, set-up or I/O error, not enough space, qemu-img failed, a missing or wrong passphrase,"
                        + " or an encrypted source to a plain DEST without --decrypt"})
final class ConvertCommand extends ImageCommand {
    // cryptsetup's default for LUKS: AES in XTS mode with two 256-bit keys.
    static final String DEFAULT_CIPHER = "aes-xts-plain64";
    static final String DEFAULT_KEY_SIZE = "512";

    @Option(names = {"-f", "--format"}, paramLabel = "F",
            description = "Declared source format; the bytes must be this format.")
    String format;

    @Option(names = "-O", paramLabel = "F", required = true, description = "Target format.")
    String targetFormat;

    @Option(names = "-o", paramLabel = "k=v[,k=v]", description = "Target options, e.g. subformat=streamOptimized,"
            + " subformat=fixed, compat=1.1, preallocation=falloc.")
    List<String> options = List.of();

    @Option(names = "--compress", description = "Compress the target (qcow2, vmdk streamOptimized).")
    boolean compress;

    @Option(names = "--rate-limit", paramLabel = "BYTES_PER_S", description = "Limit qemu-img's I/O rate"
            + " (bytes per second, or units: 50M).")
    String rateLimit;

    @Option(names = "--cache", paramLabel = "auto|none|writeback", description = "How the target is written:"
            + " auto (O_DIRECT where the destination allows it), none (O_DIRECT only) or writeback. Default auto.")
    String cache = "auto";

    @Option(names = "--target-is-zero", description = "DEST exists and reads as zeros (a fresh volume): write into"
            + " it and skip the zeros.")
    boolean targetIsZero;

    @Option(names = "--no-sparse", description = "Write every byte, zeros included (fully allocated target).")
    boolean noSparse;

    @Option(names = "--source-passphrase-file", paramLabel = "FILE", description = "The passphrase of an"
            + " encrypted SRC (LUKS1, or qcow2 with LUKS encryption).")
    Path sourcePassphraseFile;

    @Option(names = "--passphrase-file", paramLabel = "FILE", description = "Encrypt DEST with LUKS (-O qcow2 or"
            + " -O luks) under the passphrase in FILE.")
    Path passphraseFile;

    @Option(names = "--cipher", paramLabel = "SPEC", description = "The cipher of an encrypted DEST, as dm-crypt"
            + " names it (default: ${DEFAULT-VALUE}).", defaultValue = DEFAULT_CIPHER)
    String cipher;

    @Option(names = "--key-size", paramLabel = "BITS", description = "The whole key size in bits; XTS keys are two"
            + " cipher keys, so 512 is AES-256 (default: ${DEFAULT-VALUE}).", defaultValue = DEFAULT_KEY_SIZE)
    int keySize;

    @Option(names = "--iter-time", paramLabel = "MS", description = "How long deriving DEST's key takes, in"
            + " milliseconds (default: qemu's 2000).")
    Integer iterTime;

    @Option(names = "--decrypt", description = "Allow an encrypted SRC to become a plain (unencrypted) DEST.")
    boolean decrypt;

    @Parameters(index = "0", paramLabel = "SRC", description = "The source image.")
    Path source;

    @Parameters(index = "1", paramLabel = "DEST", description = "The target file (or block device).")
    Path target;

    @Override
    void execute(PrintWriter out, PrintWriter err) {
        DiskFormat outFormat = format(targetFormat, "-O");
        ConvertRequest.Builder request = ConvertRequest.builder(source, target, outFormat)
                .cache(cache(cache)).compress(compress).sparse(!noSparse);
        if (format != null) {
            request.sourceFormat(format(format, "-f"));
        }
        for (String group : options) {
            for (String option : group.split(",")) {
                int equals = option.indexOf('=');
                if (equals <= 0) {
                    throw new IllegalArgumentException("bad -o option '" + option + "' (use key=value)");
                }
                request.option(option.substring(0, equals), option.substring(equals + 1));
            }
        }
        if (rateLimit != null) {
            long rate = SizeParser.parse(rateLimit);
            if (rate <= 0) {
                throw new IllegalArgumentException("--rate-limit must be at least 1 byte per second");
            }
            request.throttle(Throttle.rateLimit(rate));
        }
        if (targetIsZero) {
            request.existingTarget(true);
        }
        encryption(request, outFormat, spec.commandLine().getParseResult());
        ProgressBar bar = !quiet && ProgressBar.stderrIsTerminal() ? new ProgressBar(err) : null;
        if (bar != null) {
            request.progress(bar);
        }
        ConversionResult result;
        try {
            result = ImageConverter.using(qemu(), validator()).convertNow(request.build());
        } finally {
            if (bar != null) {
                bar.finish();
            }
        }
        if (quiet) {
            return;
        }
        if (json) {
            ObjectNode root = object();
            root.put("source", source.toString());
            root.put("target", target.toString());
            root.put("source_format", result.sourceFormat().glanceName());
            root.put("target_format", result.targetFormat().glanceName());
            root.put("virtual_size", result.virtualSize());
            root.put("cache_mode", result.targetCacheMode().qemuName());
            root.put("written_in_place", result.writtenInPlace());
            root.put("duration_ms", result.duration().toMillis());
            root.put("encrypted", passphraseFile != null);
            out.println(root);
            return;
        }
        out.println(String.format(Locale.ROOT, "converted %s (%s) to %s (%s) in %.2f s, cache=%s", source,
                result.sourceFormat().glanceName(), target, result.targetFormat().glanceName(),
                result.duration().toMillis() / 1000.0, result.targetCacheMode().qemuName()));
    }

    private void encryption(ConvertRequest.Builder request, DiskFormat outFormat, CommandLine.ParseResult parsed) {
        if (sourcePassphraseFile != null) {
            request.sourcePassphrase(Passphrase.fromFile(sourcePassphraseFile));
        }
        request.decrypt(decrypt);
        if (passphraseFile == null) {
            if (outFormat == DiskFormat.LUKS) {
                throw new IllegalArgumentException("-O luks needs --passphrase-file (a LUKS volume has a passphrase)");
            }
            for (String option : new String[] {"--cipher", "--key-size", "--iter-time"}) {
                if (parsed.hasMatchedOption(option)) {
                    throw new IllegalArgumentException(option + " needs --passphrase-file (it sets how DEST is"
                            + " encrypted)");
                }
            }
            return;
        }
        LuksTarget luks = LuksTarget.of(CipherSpec.decode(cipher, keySize), passphraseFile);
        if (iterTime != null) {
            if (iterTime < 1) {
                throw new IllegalArgumentException("--iter-time must be at least 1 ms");
            }
            luks = luks.withIterTime(Duration.ofMillis(iterTime));
        }
        request.encryption(luks);
    }

    private static TargetCache cache(String text) {
        return switch (text) {
            case "auto" -> TargetCache.AUTO;
            case "none" -> TargetCache.NONE;
            case "writeback" -> TargetCache.WRITEBACK;
            default -> throw new IllegalArgumentException("unknown --cache '" + text + "' (use auto, none or writeback)");
        };
    }
}
