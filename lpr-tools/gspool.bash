# bash completion for gspool's commands: gprint, gqueue, gcancel, gpc.
# Printers and classes come from the configuration file, jobs from
# gqueue -a --json.

_gspool_dests()
{
	local conf=${GSPOOL_CONF:-/etc/gspool/gspool.conf}
	[ -r "$conf" ] || return
	sed -n 's/^[[:space:]]*\[\(printer\|class\)[[:space:]]\{1,\}\([A-Za-z0-9._-]\{1,\}\)[[:space:]]*\].*/\2/p' "$conf"
}

_gspool_jobs()
{
	gqueue -a --json 2>/dev/null |
	    sed -n 's/^ *"name": "\([A-Za-z0-9._-]*-[0-9]*\)",*$/\1/p'
}

_gspool_complete()
{
	local cur prev cmd words
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=${COMP_WORDS[0]##*/}
	case $prev in
	-P) COMPREPLY=($(compgen -W "$(_gspool_dests)" -- "$cur")); return ;;
	-c) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-T|-r|-p|-\#|-u|--hold-until) return ;;
	--reprint) COMPREPLY=($(compgen -W "$(_gspool_jobs)" -- "$cur")); return ;;
	esac
	case $cmd in
	gprint)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-# -c -h -P -p -q -T -w --check --json --hold-until --reprint" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi ;;
	gqueue)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-a -c -h -l -P -w --history --json" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_gspool_jobs)" -- "$cur"))
		fi ;;
	gcancel)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "- -a -c -h -P -u" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_gspool_jobs)" -- "$cur"))
		fi ;;
	gpc)
		local i sub=
		for ((i = 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			-c|-r) ((i++)) ;;
			-*) ;;
			*) sub=${COMP_WORDS[i]}; break ;;
			esac
		done
		if [[ -z $sub ]]; then
			if [[ $cur == -* ]]; then
				COMPREPLY=($(compgen -W "-c -h -r --json" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "status temps pause resume abort ready enable disable accept reject hold release top priority move resume-from" -- "$cur"))
			fi
			return
		fi
		case $sub in
		hold|release|top|priority|resume-from)
			[[ $prev == "$sub" ]] && COMPREPLY=($(compgen -W "$(_gspool_jobs)" -- "$cur")) ;;
		move)
			if [[ $prev == move ]]; then
				COMPREPLY=($(compgen -W "$(_gspool_jobs)" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "$(_gspool_dests)" -- "$cur"))
			fi ;;
		*)	COMPREPLY=($(compgen -W "$(_gspool_dests)" -- "$cur")) ;;
		esac ;;
	esac
}
complete -F _gspool_complete gprint gqueue gcancel gpc
