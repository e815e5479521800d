/** Small JSON files storage keeps beside base backups and segments, so storage alone describes a source's stream. */
package io.recall.common.layout;
