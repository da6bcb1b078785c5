"""CSV files in and out: orders (受注CSV取込), item mappings, products, stock, shipment results.

Every reader accepts UTF-8 (with or without BOM) and CP932 (Shift_JIS), CRLF or LF, and reports each bad
row with its row number, column and reason. Writers emit CP932 with CRLF where the consumer is Excel or a
mall's upload screen, and UTF-8 on request. The column layouts are documented in docs/csv.md.
"""
