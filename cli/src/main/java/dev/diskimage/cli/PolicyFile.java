package dev.diskimage.cli;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.diskimage.core.IoErrorText;
import dev.diskimage.core.StrictJson;
import dev.diskimage.core.UntrustedText;
import dev.diskimage.validation.ImagePolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Reads an {@link ImagePolicy} from a JSON file, so that a pipeline keeps its policy in its
 * repository. Keys (all optional; absent keys keep the safe default):
 * {@code allowed_formats} (array of qemu or Glance names), {@code vmdk_allowed_types} (array),
 * {@code allow_backing_files} (boolean), {@code max_virtual_size} (number of bytes or a size
 * string like {@code "1TiB"}), {@code min_virtual_size} (size), {@code qemu_cross_check}
 * (boolean), {@code read_budget} (size). The file binds to {@link PolicySettings}. Unknown keys,
 * {@code null}s and values of the wrong type are errors, so a typo never silently weakens a
 * policy, and so is a key given twice, since JSON readers disagree on which copy wins.
 */
final class PolicyFile {
    private static final long MAX_FILE_SIZE = 1 << 20;

    /** What each key must hold, for messages about a value of the wrong type. */
    private static final Map<String, String> EXPECTED = Map.of(
            "allowed_formats", "an array of format names",
            "vmdk_allowed_types", "an array of VMDK createTypes",
            "allow_backing_files", "true or false",
            "max_virtual_size", PolicySettings.Size.EXPECTED,
            "min_virtual_size", PolicySettings.Size.EXPECTED,
            "qemu_cross_check", "true or false",
            "read_budget", PolicySettings.Size.EXPECTED);

    private PolicyFile() {
    }

    /**
     * The default policy with the file's settings applied.
     *
     * @throws PolicyFileException naming the file and the problem
     */
    static ImagePolicy read(Path file) {
        PolicySettings settings = settings(file);
        try {
            return settings.apply(ImagePolicy.defaults());
        } catch (IllegalArgumentException e) {
            throw new PolicyFileException(file, e.getMessage(), e);
        }
    }

    private static PolicySettings settings(Path file) {
        byte[] content;
        try {
            if (Files.size(file) > MAX_FILE_SIZE) {
                throw new PolicyFileException(file, "larger than 1 MiB", null);
            }
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new PolicyFileException(file, "cannot be read: " + IoErrorText.describe(e), e);
        }
        try {
            PolicySettings settings = StrictJson.bind(content, PolicySettings.class);
            if (settings == null) {
                throw new PolicyFileException(file, "must hold a JSON object", null);
            }
            return settings;
        } catch (UnrecognizedPropertyException e) {
            throw new PolicyFileException(file, "unknown key '" + UntrustedText.sanitize(e.getPropertyName())
                    + "' (known: " + PolicySettings.KEYS + ")", e);
        } catch (JsonParseException e) {
            throw new PolicyFileException(file, "not valid JSON: " + StrictJson.describe(e), e);
        } catch (JsonMappingException e) {
            throw new PolicyFileException(file, wrongValue(e), e);
        } catch (JsonProcessingException e) {
            throw new PolicyFileException(file, "not valid JSON: " + StrictJson.describe(e), e);
        }
    }

    /** A message naming the key whose value does not fit, and what it must hold. */
    private static String wrongValue(JsonMappingException e) {
        String key = e.getPath().isEmpty() ? null : e.getPath().get(0).getFieldName();
        if (key == null || !EXPECTED.containsKey(key)) {
            return "must hold a JSON object with the keys " + PolicySettings.KEYS;
        }
        Throwable cause = e.getCause();
        if (cause instanceof IllegalArgumentException invalid && invalid.getMessage() != null) {
            return "'" + key + "': " + invalid.getMessage();
        }
        return "'" + key + "' must be " + EXPECTED.get(key);
    }
}
