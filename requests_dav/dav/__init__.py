"""WebDAV (RFC 4918): the multistatus model, properties, hrefs and safe XML parsing."""
