package dev.diskimage.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.crypto.LuksHeader;
import dev.diskimage.crypto.LuksHeaderException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code diskimage luks-dump}: what a LUKS1 or LUKS2 header says (version, cipher, key size,
 * hash, UUID, payload offset, active key slots with their KDF parameters), read in pure Java by
 * {@link LuksHeader}. Never prints key material: salts and digests are not shown at all.
 */
@Command(name = "luks-dump", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = "Prints what a LUKS1 or LUKS2 header says, without key material; read in pure Java.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the header was read",
                "1:the file is not LUKS, or its header is malformed or beyond this project's limits",
                "2:usage error, or the file cannot be read"})
final class LuksDump implements Callable<Integer> {

    @Option(names = "--json", description = "One JSON object (one line, snake_case keys) instead of text.")
    private boolean json;

    @Option(names = {"-v", "--verbose"}, description = "Log what the library does (debug level, on stderr).")
    private boolean verbose;

    @Parameters(paramLabel = "FILE", arity = "1", description = "The LUKS volume or image.")
    private Path file;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (verbose) {
            Logging.enableDebug();
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LuksHeader header;
        try {
            header = LuksHeader.read(file);
        } catch (LuksHeaderException e) {
            int exit = e.getCause() instanceof IOException ? ImageCheck.ERROR : ImageCheck.REJECTED;
            if (json) {
                ObjectNode root = ImageCommand.object();
                root.put("file", file.toString());
                root.put("error", e.getMessage());
                out.println(root);
            } else {
                err.println(CommandLines.name(spec.commandLine()) + ": " + UntrustedText.sanitize(e.getMessage()));
            }
            out.flush();
            return exit;
        }
        out.print(json ? json(header) + System.lineSeparator() : text(header));
        out.flush();
        if (out.checkError()) {
            err.println(CommandLines.name(spec.commandLine()) + ": cannot write to standard output");
            return ImageCheck.ERROR;
        }
        return ImageCheck.ACCEPTED;
    }

    static String json(LuksHeader header) {
        ObjectNode root = ImageCommand.object();
        root.put("file", header.file().toString());
        root.put("version", header.version());
        root.put("cipher", header.cipher());
        root.put("key_size_bits", header.keySizeBits());
        root.put("hash", header.hash());
        root.put("uuid", header.uuid());
        root.put("payload_offset", header.payloadOffset());
        ArrayNode slots = root.putArray("key_slots");
        for (LuksHeader.KeySlot slot : header.activeKeySlots()) {
            ObjectNode node = slots.addObject();
            node.put("index", slot.index());
            node.put("cipher", slot.cipher());
            node.put("key_size_bits", slot.keySizeBits());
            ObjectNode kdf = node.putObject("kdf");
            kdf.put("type", slot.kdf().type().name().toLowerCase(Locale.ROOT));
            if (slot.kdf().type() == LuksHeader.KdfType.PBKDF2) {
                kdf.put("hash", slot.kdf().hash());
                kdf.put("iterations", slot.kdf().iterations());
            } else {
                kdf.put("time", slot.kdf().time());
                kdf.put("memory_kib", slot.kdf().memoryKiB());
                kdf.put("parallelism", slot.kdf().parallelism());
            }
            node.put("area_offset", slot.areaOffset());
            node.put("area_length", slot.areaLength());
            node.put("stripes", slot.stripes());
            node.put("af_hash", slot.afHash());
        }
        return root.toString();
    }

    static String text(LuksHeader header) {
        StringBuilder text = new StringBuilder();
        String nl = System.lineSeparator();
        text.append("File:           ").append(UntrustedText.sanitize(header.file().toString())).append(nl);
        text.append("Version:        ").append(header.version()).append(nl);
        text.append("Cipher:         ").append(header.cipher()).append(nl);
        text.append("Key size:       ").append(header.keySizeBits()).append(" bits").append(nl);
        text.append("Hash:           ").append(header.hash()).append(nl);
        text.append("UUID:           ").append(header.uuid()).append(nl);
        text.append("Payload offset: ").append(header.payloadOffset()).append(" bytes").append(nl);
        text.append(header.activeKeySlots().isEmpty() ? "Key slots:      none active" : "Key slots:").append(nl);
        for (LuksHeader.KeySlot slot : header.activeKeySlots()) {
            LuksHeader.Kdf kdf = slot.kdf();
            text.append("  ").append(slot.index()).append(": ").append(kdf.type().name().toLowerCase(Locale.ROOT));
            if (kdf.type() == LuksHeader.KdfType.PBKDF2) {
                text.append(" ").append(kdf.hash()).append(", ").append(kdf.iterations()).append(" iterations");
            } else {
                text.append(", time ").append(kdf.time()).append(", memory ").append(kdf.memoryKiB())
                        .append(" KiB, parallelism ").append(kdf.parallelism());
            }
            text.append("; ").append(slot.cipher()).append(", ").append(slot.keySizeBits()).append(" bits; area ")
                    .append(slot.areaOffset()).append(" (").append(slot.areaLength()).append(" bytes); af ")
                    .append(slot.afHash()).append(", ").append(slot.stripes()).append(" stripes").append(nl);
        }
        return text.toString();
    }
}
