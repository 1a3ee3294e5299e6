module lossbench

go 1.19
