# Read by examples/redis/Makefile together with Redis's src/Makefile, to
# learn what Redis links into redis-server without restating it.
print-redis-server-inputs:
	@echo $(REDIS_SERVER_OBJ) ../deps/hiredis/libhiredis.a ../deps/lua/src/liblua.a \
		../deps/hdr_histogram/libhdrhistogram.a $(FINAL_LIBS)
.PHONY: print-redis-server-inputs
