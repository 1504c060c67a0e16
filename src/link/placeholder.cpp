// replaced by the link layer sources
