package dev.diskimage.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diskimage.core.StrictJson;
import dev.diskimage.core.service.ImageChanges;
import dev.diskimage.core.service.NewImage;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON patch and create bodies {@link GlanceImageJson} builds, and what it refuses. */
class GlanceImageJsonTest {
    private static JsonNode record(String json) throws IOException {
        return StrictJson.tree().readTree(json);
    }

    @Test
    void patchReplacesExistingAddsNewRemovesAndPurgesOnlyExtraProperties() throws IOException {
        JsonNode current = record("{\"id\": \"i\", \"name\": null, \"min_disk\": 0, \"tags\": [], \"old\": \"1\","
                + " \"gone\": \"2\", \"os_glance_import_task\": \"t\", \"created_at\": \"x\"}");
        String patch = GlanceImageJson.patch(current, ImageChanges.setting(Map.of("name", "n", "old", "3",
                "a/b~c", "v", "min_disk", "4")), true).toString();
        assertThat(patch).isEqualTo("[{\"op\":\"add\",\"path\":\"/a~1b~0c\",\"value\":\"v\"},"
                + "{\"op\":\"replace\",\"path\":\"/min_disk\",\"value\":4},"
                + "{\"op\":\"replace\",\"path\":\"/name\",\"value\":\"n\"},"
                + "{\"op\":\"replace\",\"path\":\"/old\",\"value\":\"3\"},"
                + "{\"op\":\"remove\",\"path\":\"/gone\"}]");
    }

    @Test
    void patchRefusesTypedValuesThatDoNotFit() throws IOException {
        JsonNode current = record("{\"id\": \"i\"}");
        assertThatThrownBy(() -> GlanceImageJson.patch(current, ImageChanges.setting(Map.of("min_ram", "-1")), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("min_ram");
        assertThatThrownBy(() -> GlanceImageJson.patch(current, ImageChanges.setting(Map.of("protected", "yes")), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("protected");
        assertThatThrownBy(() -> GlanceImageJson.patch(current, ImageChanges.setting(Map.of("tags", "[1]")), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tags");
        assertThatThrownBy(() -> GlanceImageJson.patch(current,
                ImageChanges.setting(Map.of("os_glance_import_task", "x")), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
    }

    @Test
    void createBodyTypesBaseAttributesAndRefusesRecordFieldsAsProperties() {
        assertThat(GlanceImageJson.createBody(NewImage.of("n", "qcow2")
                .withProperties(Map.of("min_disk", "1", "protected", "true", "hw_disk_bus", "virtio"))))
                .isEqualTo("{\"hw_disk_bus\":\"virtio\",\"min_disk\":1,\"protected\":true,\"name\":\"n\","
                        + "\"disk_format\":\"qcow2\",\"container_format\":\"bare\",\"visibility\":\"private\"}");
        assertThatThrownBy(() -> GlanceImageJson.createBody(NewImage.of("n", "raw").withProperties(Map.of("status", "active"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void errorTextDropsMarkupAndControlCharacters() {
        assertThat(GlanceErrorText.of(("{\"message\": \"No image found with ID x<br /><br />\\n\\n\", \"code\": \"404\"}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo("No image found with ID x");
        assertThat(GlanceErrorText.of("<html><head><title>409 Conflict</title></head><body><h1>409 Conflict</h1>"
                .concat("Image status\ntransition &amp; more\u001b[31m<br /></body></html>")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo("Image status transition & more\\x1b[31m");
    }
}
