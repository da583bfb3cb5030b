/** QR codes of short URLs (PNG or SVG), drawn by the `qrcode` library. */
import QRCode from 'qrcode'

export interface QrOptions {
  size: number
  format: 'png' | 'svg'
  margin: number
  errorCorrection: 'L' | 'M' | 'Q' | 'H'
  color: string
  bgColor: string
}

const hex = (c: string) => `#${c.replace(/^#/, '')}ff`

export async function renderQr(text: string, o: QrOptions): Promise<{ type: string; body: Buffer | string }> {
  const common = {
    errorCorrectionLevel: o.errorCorrection,
    margin: o.margin,
    width: o.size,
    color: { dark: hex(o.color), light: hex(o.bgColor) },
  }
  if (o.format === 'svg')
    return { type: 'image/svg+xml', body: await QRCode.toString(text, { ...common, type: 'svg' }) }
  return { type: 'image/png', body: await QRCode.toBuffer(text, { ...common, type: 'png' }) }
}
