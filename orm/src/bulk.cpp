// bulk_create and bulk_update: many rows per statement, batches in one transaction.
#include <algorithm>

#include "tern/orm/model.hpp"
#include "tern/protocol/exceptions.hpp"

namespace tern::orm::detail {

namespace {

// Runs `batch(offset, count)` over `total` items `per` at a time; in one transaction when
// there is more than one batch (all or nothing).
template <class Batch>
ring::Task<void> in_batches(AioDatabase& db, std::size_t total, std::size_t per, Batch batch) {
  if (per == 0) per = total;
  if (total <= per) {
    co_await batch(0, total);
    co_return;
  }
  co_await db.aio_atomic([&]() -> ring::Task<void> {
    for (std::size_t offset = 0; offset < total; offset += per) {
      co_await batch(offset, std::min(per, total - offset));
    }
  });
}

}  // namespace

ring::Task<std::uint64_t> bulk_create(AioDatabase& db, const ModelMeta& meta,
                                      std::vector<void*> objects, std::size_t batch_size) {
  if (objects.empty()) co_return 0;
  for (void* object : objects)
    fill_defaults(meta, object);
  const FieldMeta* pk = meta.primary_key != ModelMeta::kNoPrimaryKey ? &meta.pk() : nullptr;
  std::uint64_t inserted = 0;
  co_await in_batches(db, objects.size(), batch_size,
                      [&](std::size_t offset, std::size_t count) -> ring::Task<void> {
                        void* const* batch = objects.data() + offset;
                        bool generated =
                            pk != nullptr && pk->auto_increment && pk->unset != nullptr;
                        for (std::size_t i = 0; generated && i < count; ++i)
                          generated = pk->unset(batch[i]);
                        const Keys keys = co_await insert_rows(db, meta, batch, count, false);
                        if (generated && keys.size() == count && pk->set_id != nullptr) {
                          for (std::size_t i = 0; i < count; ++i)
                            pk->set_id(batch[i], keys[i]);
                        }
                        inserted += count;
                      });
  co_return inserted;
}

ring::Task<std::uint64_t> bulk_update(AioDatabase& db, const ModelMeta& meta,
                                      std::vector<const void*> objects, std::size_t batch_size,
                                      std::vector<std::size_t> fields) {
  if (meta.primary_key == ModelMeta::kNoPrimaryKey) {
    throw InterfaceError("bulk_update of " + meta.name + ": needs a single-column primary key");
  }
  if (fields.empty()) throw InterfaceError("bulk_update of " + meta.name + ": no fields given");
  if (objects.empty()) co_return 0;
  const FieldMeta& pk = meta.pk();
  std::uint64_t updated = 0;
  co_await in_batches(db, objects.size(), batch_size,
                      [&](std::size_t offset, std::size_t count) -> ring::Task<void> {
                        const void* const* batch = objects.data() + offset;
                        ast::Query q;
                        q.kind = ast::Query::Kind::kUpdate;
                        q.table = meta.table;
                        for (const std::size_t index : fields) {
                          const FieldMeta& f = meta.fields.at(index);
                          // SET f = CASE key WHEN k1 THEN v1 WHEN k2 THEN v2 ... END
                          ast::Expr choice;
                          choice.kind = ast::Expr::Kind::kCase;
                          choice.has_operand = true;
                          choice.args.push_back(column_of(meta, pk));
                          for (std::size_t i = 0; i < count; ++i) {
                            choice.args.push_back(param(pk.get(batch[i])));
                            choice.args.push_back(param(f.get(batch[i])));
                          }
                          q.assignments.emplace_back(f.column.name, node(std::move(choice)));
                        }
                        ast::Expr keys;
                        keys.kind = ast::Expr::Kind::kList;
                        for (std::size_t i = 0; i < count; ++i)
                          keys.args.push_back(param(pk.get(batch[i])));
                        q.where = binary("IN", column_of(meta, pk), node(std::move(keys)));
                        updated += co_await run_count(db, q);
                      });
  co_return updated;
}

}  // namespace tern::orm::detail
