"""归档: 归档范围和保管期限表, 档号 and immutable archive records (DA/T 22-2015)."""
