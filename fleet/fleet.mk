# fleet/: the ClickHouse sink (included by the top-level Makefile).

# init.c embeds the schema with .incbin
$(O)/fleet/init.o: dist/clickhouse/schema.sql

# bench/fleet: rows/s into a local clickhouse-server, sink CPU per row, bytes
# on the wire per row, spool replay rate (bench/fleet/run.sh starts the server)
$(O)/bench/bench_fleet: bench/fleet/bench_fleet.c $(O)/libfleet.a
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CFLAGS) $(CPPFLAGS) -o $@ $< $(O)/libfleet.a -lz -lcurl -lpthread

.PHONY: bench-fleet
bench-fleet: $(O)/bench/bench_fleet $(O)/warden
	./bench/fleet/run.sh $(O)
