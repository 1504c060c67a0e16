// replaced by the t1 layer sources
