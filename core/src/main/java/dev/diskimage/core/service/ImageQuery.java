package dev.diskimage.core.service;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What to list and how to page through it ({@code ImageService.list}).
 *
 * @param filters attribute filters with the service's names ({@code status=active},
 *     {@code disk_format=qcow2}, {@code name=cirros}, {@code visibility=public})
 * @param pageSize how many images to ask for per page (the service may cap it)
 * @param sortKey the attribute to sort by, {@code created_at} by default
 * @param ascending whether the sort is ascending ({@code false}: newest first, Glance's default)
 */
public record ImageQuery(Map<String, String> filters, int pageSize, String sortKey, boolean ascending) {

    /** The page size when the caller sets none: Glance's default {@code limit_param_default}. */
    public static final int DEFAULT_PAGE_SIZE = 25;

    /** Largest page size asked for; Glance caps at {@code api_limit_max} (1000) anyway. */
    public static final int MAX_PAGE_SIZE = 1000;

    /** Validates and copies the parts. */
    public ImageQuery {
        filters = Map.copyOf(filters);
        if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
            throw new IllegalArgumentException("page size " + pageSize + " is not within 1.." + MAX_PAGE_SIZE);
        }
        Objects.requireNonNull(sortKey, "sortKey");
    }

    /**
     * Every image the caller may see, newest first, in pages of the default size.
     *
     * @return the query
     */
    public static ImageQuery all() {
        return new ImageQuery(Map.of(), DEFAULT_PAGE_SIZE, "created_at", false);
    }

    /**
     * This query with one more filter.
     *
     * @param key the attribute, e.g. {@code status}
     * @param value the value it must have
     * @return the new query
     */
    public ImageQuery where(String key, String value) {
        Map<String, String> values = new LinkedHashMap<>(filters);
        values.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return new ImageQuery(values, pageSize, sortKey, ascending);
    }

    /**
     * This query with another page size.
     *
     * @param size images per page
     * @return the new query
     */
    public ImageQuery pageSize(int size) {
        return new ImageQuery(filters, size, sortKey, ascending);
    }

    /**
     * This query sorted by another attribute.
     *
     * @param key the attribute
     * @param ascendingOrder whether the order is ascending
     * @return the new query
     */
    public ImageQuery sortedBy(String key, boolean ascendingOrder) {
        return new ImageQuery(filters, pageSize, key, ascendingOrder);
    }
}
