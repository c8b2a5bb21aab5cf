import { customAlphabet } from 'nanoid'

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
const ID_LENGTH = 16
const random = customAlphabet(ALPHABET, ID_LENGTH)

export const newSessionId = (): string => `ses_${random()}`
export const newTurnId = (): string => `trn_${random()}`
export const newRuleId = (): string => `rul_${random()}`

/** Ids are checked against their format before any lookup. */
export const SESSION_ID_PATTERN = new RegExp(`^ses_[0-9A-Za-z]{${ID_LENGTH}}$`)
export const TURN_ID_PATTERN = new RegExp(`^trn_[0-9A-Za-z]{${ID_LENGTH}}$`)
export const RULE_ID_PATTERN = new RegExp(`^rul_[0-9A-Za-z]{${ID_LENGTH}}$`)
