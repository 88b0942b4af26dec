package dev.diskimage.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.diskimage.core.StrictJson;
import dev.diskimage.core.UntrustedText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The human part of an error answer from Glance, one short line for a message. Glance answers
 * errors as webob HTML ({@code <h1>409 Conflict</h1> Image status transition ...<br />}), some
 * middleware as JSON ({@code {"message": ...}} or {@code {"error": {"message": ...}}}); the text
 * is the service's, so it is untrusted: tags dropped, whitespace collapsed, control characters
 * escaped, length capped.
 */
final class GlanceErrorText {
    /** Longest error text put in a message. */
    static final int MAX_CHARS = 300;

    private static final Pattern TITLE = Pattern.compile("(?is)<title>.*?</title>|<h1>.*?</h1>");
    private static final Pattern TAG = Pattern.compile("(?s)<[^>]*>");
    private static final Pattern SPACE = Pattern.compile("\\s+");

    private GlanceErrorText() {
    }

    /**
     * The text of an error body.
     *
     * @param body the first bytes of the body
     * @return one line, empty when the body says nothing
     */
    static String of(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        if (text.startsWith("{")) {
            // webob's JSON errors keep the HTML line breaks of its pages in "message"
            String fromJson = fromJson(body);
            if (fromJson != null) {
                text = fromJson;
            }
        }
        if (text.contains("<")) {
            // webob's page repeats the status in <title> and <h1>; the message carries it already
            text = TAG.matcher(TITLE.matcher(text).replaceAll(" ")).replaceAll(" ")
                    .replace("&quot;", "\"").replace("&#x27;", "'").replace("&#39;", "'")
                    .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        }
        text = SPACE.matcher(text).replaceAll(" ").strip();
        return text.isEmpty() ? "" : UntrustedText.sanitize(text, MAX_CHARS);
    }

    private static String fromJson(byte[] body) {
        try {
            JsonNode root = StrictJson.tree().readTree(body);
            if (root == null || !root.isObject()) {
                return null;
            }
            for (JsonNode node : new JsonNode[] {root, root.path("error"), root.path("badRequest"),
                    root.path("conflictingRequest"), root.path("itemNotFound")}) {
                for (String key : new String[] {"message", "detail", "description", "title"}) {
                    JsonNode value = node.path(key);
                    if (value.isTextual() && !value.asText().isBlank()) {
                        return value.asText();
                    }
                }
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
