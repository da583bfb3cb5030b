/**
 * The inventory's page: a live seat map of a show (pick seats and hold them, watch others' holds
 * appear, count down, confirm or release) and stock levels per location. It speaks only the
 * system's public routes and its public live stream (src/systems/inventory/README.md).
 */
import { useState } from 'react'
import { readStored, writeStored } from '../../ui/storage'
import type { SystemPageProps } from '../registry'
import { SeatsCard } from './seats-card'
import { ShowPicker } from './show-picker'
import { StockCard } from './stock-card'
import './inventory.css'

const SHOW_KEY = 'blueprints.inventory.show'

/** The page. */
export default function InventoryPage(_props: SystemPageProps) {
  const [show, setShow] = useState(() => readStored(SHOW_KEY))
  const open = (id: string) => {
    setShow(id)
    writeStored(SHOW_KEY, id)
  }
  return (
    <div className="stack inventory-page">
      <ShowPicker show={show} onShow={open} />
      {show && <SeatsCard key={show} show={show} />}
      <StockCard />
    </div>
  )
}
